import { Args, Command } from '@oclif/core';
import { exitOnUserError } from '../../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../../src/cli/flags.js';
import { deleteTopic } from '../../src/tools/admin/topics.js';
import { topicDeletedLine } from '../../src/ui/topics-output.js';

export default class TopicsDelete extends Command {
  static override summary = 'Delete a topic with its messages and the offsets groups committed to it.';
  static override description = 'Exit codes: 0 deleted, 1 no such topic, 2 usage or connection problem.';
  static override examples = ['<%= config.bin %> topics delete orders'];

  static override args = { name: Args.string({ description: 'topic name', required: true }) };

  static override flags = {
    brokers: brokersFlag,
    json: jsonFlag('print {topic, deleted} as JSON'),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsDelete);
    try {
      const result = await deleteTopic(flags.brokers, args.name);
      this.log(flags.json ? JSON.stringify(result, null, 2) : topicDeletedLine(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
