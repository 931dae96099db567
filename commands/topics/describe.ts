import { Args, Command } from '@oclif/core';
import { exitOnUserError } from '../../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../../src/cli/flags.js';
import { describeTopic } from '../../src/tools/admin/topics.js';
import { topicDescriptionText } from '../../src/ui/topics-output.js';

export default class TopicsDescribe extends Command {
  static override summary =
    'Show a topic: per partition the leader, log start and end offsets and message count.';
  static override description = 'Exit codes: 0 ok, 1 no such topic, 2 usage or connection problem.';
  static override examples = [
    '<%= config.bin %> topics describe orders',
    '<%= config.bin %> topics describe orders --json',
  ];

  static override args = { name: Args.string({ description: 'topic name', required: true }) };

  static override flags = {
    brokers: brokersFlag,
    json: jsonFlag(
      'print {topic, partitions: [{partition, leader, logStart, logEnd, messages}], messages} as JSON',
    ),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsDescribe);
    try {
      const result = await describeTopic(flags.brokers, args.name);
      this.log(flags.json ? JSON.stringify(result, null, 2) : topicDescriptionText(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
