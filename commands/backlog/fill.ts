import { Command, Flags } from '@oclif/core';
import { brokersFlag } from '../../src/cli/flags.js';
import { parseBytes, UsageError } from '../../src/cli/units.js';
import { createDriver, DRIVER_NAMES, UnknownDriverError } from '../../src/drivers/index.js';
import { BacklogFillError, BacklogSendError, fillBacklog } from '../../src/tools/backlog/fill.js';
import { fillSummary } from '../../src/ui/drain/drain-lines.js';

export default class BacklogFill extends Command {
  static override summary =
    'Build a backlog for tests and drills: N messages, or about SIZE bytes of payload.';
  static override description =
    "Messages are spread evenly over the topic's partitions (the topic is created with --partitions " +
    'if missing) and stamped (producer id, sequence, send time) so a drain can be checked message by ' +
    'message. Exit codes: 0 filled, 1 a send failed, 2 could not run.';

  static override examples = [
    '<%= config.bin %> backlog fill --topic orders --messages 1000000',
    '<%= config.bin %> backlog fill --topic orders --size 1GB --message-size 1KB --partitions 16',
  ];

  static override flags = {
    brokers: brokersFlag,
    driver: Flags.string({ description: 'client driver', options: DRIVER_NAMES, default: 'mq' }),
    topic: Flags.string({ char: 't', description: 'topic to fill', required: true }),
    messages: Flags.integer({ char: 'n', description: 'number of messages', exclusive: ['size'] }),
    size: Flags.string({ description: 'payload bytes in total, e.g. 1GB', exclusive: ['messages'] }),
    'message-size': Flags.string({ char: 's', description: 'payload bytes per message', default: '100' }),
    partitions: Flags.integer({ char: 'p', description: 'partitions if the topic is created', default: 8 }),
    json: Flags.boolean({ description: 'print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BacklogFill);
    try {
      if (flags.messages === undefined && flags.size === undefined) {
        throw new UsageError('give --messages N or --size SIZE');
      }
      const driver = createDriver(flags.driver, { brokers: flags.brokers, clientId: 'mq-backlog' });
      try {
        const result = await fillBacklog(driver, {
          topic: flags.topic,
          messages: flags.messages,
          bytes: flags.size === undefined ? undefined : parseBytes(flags.size, '--size'),
          messageSize: parseBytes(flags['message-size'], '--message-size'),
          partitions: flags.partitions,
        });
        this.log(flags.json ? JSON.stringify(result, null, 2) : fillSummary(result));
      } finally {
        await driver.close().catch(() => {});
      }
    } catch (err) {
      if (err instanceof UsageError || err instanceof BacklogFillError || err instanceof UnknownDriverError) {
        this.error(err.message, { exit: 2 });
      }
      if (err instanceof BacklogSendError) this.error(err.message, { exit: 1 });
      throw err;
    }
  }
}
