import { Command } from '@oclif/core';
import { exitOnUserError } from '../../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../../src/cli/flags.js';
import { listTopics } from '../../src/tools/admin/topics.js';
import { topicListText } from '../../src/ui/topics-output.js';

export default class TopicsList extends Command {
  static override summary = 'List the topics with their partition counts.';
  static override examples = ['<%= config.bin %> topics list', '<%= config.bin %> topics list --json'];

  static override flags = {
    brokers: brokersFlag,
    json: jsonFlag('print {topics: [{topic, partitions}]} as JSON'),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TopicsList);
    try {
      const result = await listTopics(flags.brokers);
      this.log(flags.json ? JSON.stringify(result, null, 2) : topicListText(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
