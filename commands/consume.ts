import { Command, Flags } from '@oclif/core';
import { exitOnUserError } from '../src/cli/errors.js';
import { brokersFlag } from '../src/cli/flags.js';
import { streamWriter } from '../src/cli/output.js';
import { parseDuration } from '../src/cli/units.js';
import { type ConsumedMessage, consumeMessages } from '../src/tools/consume/service.js';
import { parseStartOffset } from '../src/tools/consume/start.js';
import { consumedLine, messageFormatter, messageJson } from '../src/ui/message-output.js';

export default class Consume extends Command {
  static override summary = 'Print the messages of a topic, one line each.';
  static override description =
    `With --group, partitions come from the group (shared with any Kafka client in it) and offsets are committed after the messages are printed. Without it, all partitions (or --partition) are read from --offset. Runs until --max-messages, --timeout without messages, or Ctrl-C.

--format fields: {topic} {partition} {offset} {timestamp} {key} {value} {headers}, with \\t and \\n.

Exit codes: 0 ok, 1 the broker refused (no such topic), 2 usage or connection problem.`;
  static override examples = [
    '<%= config.bin %> consume -t orders --from-beginning --timeout 2s',
    "<%= config.bin %> consume -t orders -G billing --format '{partition}:{offset} {key}={value}'",
    '<%= config.bin %> consume -t orders --offset -10 --partition 0 --json',
  ];

  static override flags = {
    topic: Flags.string({ char: 't', description: 'topic to read', required: true }),
    group: Flags.string({
      char: 'G',
      description: 'consumer group to join; offsets are committed after printing',
    }),
    'from-beginning': Flags.boolean({
      description: 'start at the log start (with --group: where it has no offset)',
    }),
    offset: Flags.string({
      char: 'o',
      description: 'start: beginning | end (default) | N | -N (N before the end) | @TIME',
      exclusive: ['group', 'from-beginning'],
    }),
    partition: Flags.integer({
      char: 'p',
      description: 'read this partition (repeatable)',
      multiple: true,
      min: 0,
      exclusive: ['group'],
    }),
    'max-messages': Flags.integer({ char: 'c', description: 'exit after this many messages', min: 0 }),
    timeout: Flags.string({ description: 'exit after this long without a message, e.g. 5s' }),
    format: Flags.string({
      char: 'f',
      description: 'line template',
      default: '{value}',
      exclusive: ['json'],
    }),
    json: Flags.boolean({
      description: 'one JSON object per message: {topic, partition, offset, timestamp, key, value, headers}',
    }),
    brokers: brokersFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Consume);
    const stop = new AbortController();
    process.once('SIGINT', () => {
      stop.abort();
      process.once('SIGINT', () => process.exit(130));
    });
    process.once('SIGTERM', () => stop.abort());
    try {
      const render = flags.json
        ? (m: ConsumedMessage) => JSON.stringify(messageJson(m))
        : messageFormatter(flags.format);
      const write = streamWriter(process.stdout, () => stop.abort());
      const result = await consumeMessages({
        brokers: flags.brokers,
        topic: flags.topic,
        group: flags.group,
        fromBeginning: flags['from-beginning'],
        offset: flags.offset === undefined ? undefined : parseStartOffset(flags.offset),
        partitions: flags.partition,
        maxMessages: flags['max-messages'],
        idleTimeoutMs: flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout'),
        signal: stop.signal,
        output: (messages) => write(messages.map((m) => `${render(m)}\n`).join('')),
      });
      process.stderr.write(`${consumedLine(result)}\n`);
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
