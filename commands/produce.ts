import { Command, Flags } from '@oclif/core';
import { exitOnUserError } from '../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../src/cli/flags.js';
import { parseDuration } from '../src/cli/units.js';
import { parseAcks, parseHeader, unescapeSeparator } from '../src/tools/produce/lines.js';
import { produceLines } from '../src/tools/produce/service.js';
import { producedLine } from '../src/ui/message-output.js';

export default class Produce extends Command {
  static override summary = 'Send stdin to a topic, one message per line.';
  static override description =
    `Lines keep their order within a partition. Without a key or --partition, messages stick to one partition per batch (Kafka's sticky partitioner); with a key, the partition is Kafka's murmur2 hash of it, as in the Java client and kafkajs.

Exit codes: 0 all acknowledged, 1 the broker refused, 2 usage or connection problem.`;
  static override examples = [
    "printf 'a\\nb\\n' | <%= config.bin %> produce --topic orders",
    '<%= config.bin %> produce -t orders --key-separator : --header source=import < orders.txt',
    '<%= config.bin %> produce -t orders --idempotent --compression gzip --json < orders.txt',
  ];

  static override flags = {
    topic: Flags.string({ char: 't', description: 'topic to send to', required: true }),
    'key-separator': Flags.string({
      char: 'K',
      description:
        'the key is what comes before the first SEP on a line (\\t allowed); lines without it have no key',
    }),
    header: Flags.string({
      char: 'H',
      description: 'header key=value on every message (repeatable)',
      multiple: true,
    }),
    partition: Flags.integer({ char: 'p', description: 'send every message to this partition', min: 0 }),
    acks: Flags.string({ description: 'all | 1 | 0 (0: no answer, offsets unknown)', default: 'all' }),
    compression: Flags.string({ options: ['none', 'gzip'], default: 'none' }),
    idempotent: Flags.boolean({ description: 'idempotent producer: a retried batch is written once' }),
    linger: Flags.string({ description: 'how long a batch waits for more lines', default: '5ms' }),
    brokers: brokersFlag,
    json: jsonFlag(
      'print {topic, messages, bytes, partitions: [{partition, messages, firstOffset, lastOffset}]}',
    ),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Produce);
    try {
      const result = await produceLines({
        brokers: flags.brokers,
        topic: flags.topic,
        input: process.stdin,
        keySeparator:
          flags['key-separator'] === undefined ? undefined : unescapeSeparator(flags['key-separator']),
        headers: (flags.header ?? []).map(parseHeader),
        partition: flags.partition,
        acks: parseAcks(flags.acks),
        compression: flags.compression as 'none' | 'gzip',
        idempotent: flags.idempotent,
        lingerMs: parseDuration(flags.linger, '--linger'),
      });
      this.log(flags.json ? JSON.stringify(result, null, 2) : producedLine(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
