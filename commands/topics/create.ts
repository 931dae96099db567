import { Args, Command, Flags } from '@oclif/core';
import { exitOnUserError } from '../../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../../src/cli/flags.js';
import { createTopic } from '../../src/tools/admin/topics.js';
import { topicCreatedLine } from '../../src/ui/topics-output.js';

export default class TopicsCreate extends Command {
  static override summary = 'Create a topic.';
  static override description =
    'Exit codes: 0 created (or already there with --if-not-exists), 1 the broker refused (the topic exists, a bad name or partition count), 2 usage or connection problem.';
  static override examples = [
    '<%= config.bin %> topics create orders --partitions 8',
    '<%= config.bin %> topics create orders --if-not-exists --json',
  ];

  static override args = { name: Args.string({ description: 'topic name', required: true }) };

  static override flags = {
    partitions: Flags.integer({
      char: 'p',
      description: "partitions (default: the broker's default)",
      min: 1,
    }),
    'if-not-exists': Flags.boolean({ description: 'succeed when the topic already exists' }),
    brokers: brokersFlag,
    json: jsonFlag('print {topic, partitions, created} as JSON'),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TopicsCreate);
    try {
      const result = await createTopic(flags.brokers, {
        topic: args.name,
        partitions: flags.partitions,
        ifNotExists: flags['if-not-exists'],
      });
      this.log(flags.json ? JSON.stringify(result, null, 2) : topicCreatedLine(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
