import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/units.js';
import type { ConsumedMessage } from '../../src/tools/consume/service.js';
import { consumedLine, messageFormatter, messageJson, producedLine } from '../../src/ui/message-output.js';

const message: ConsumedMessage = {
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 1_700_000_000_000,
  key: Buffer.from('k1'),
  value: Buffer.from('välue'),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'flag', value: null },
  ],
};

describe('consumed message output', () => {
  it('--format fills fields, reads \\t \\n \\\\ escapes, prints null key and value as empty', () => {
    const f = messageFormatter(
      '{topic}/{partition}@{offset} {timestamp}\\t{key}={value}\\n[{headers}] \\\\{value}',
    );
    expect(f(message)).toBe('orders/2@41 1700000000000\tk1=välue\n[a=1,flag] \\välue');
    expect(
      messageFormatter('{key}|{value}|{headers}')({ ...message, key: null, value: null, headers: [] }),
    ).toBe('||');
    expect(() => messageFormatter('{value} {notes}')).toThrow(UsageError);
    expect(() => messageFormatter('{value} {notes}')).toThrow(/unknown field \{notes\}/);
    // Braces that are not a field name are text.
    expect(messageFormatter('{ "v": "{value}" }')(message)).toBe('{ "v": "välue" }');
  });

  it('JSON keeps nulls and repeated headers', () => {
    expect(messageJson({ ...message, key: null })).toEqual({
      topic: 'orders',
      partition: 2,
      offset: 41,
      timestamp: 1_700_000_000_000,
      key: null,
      value: 'välue',
      headers: [
        { key: 'a', value: '1' },
        { key: 'flag', value: null },
      ],
    });
  });

  it('summaries', () => {
    expect(
      producedLine({
        topic: 't',
        messages: 3,
        bytes: 9,
        partitions: [
          { partition: 0, messages: 1, firstOffset: 0, lastOffset: 0 },
          { partition: 3, messages: 2, firstOffset: 5, lastOffset: 6 },
        ],
      }),
    ).toBe('produced 3 messages to t (partition 0: 1, 3: 2)');
    expect(producedLine({ topic: 't', messages: 0, bytes: 0, partitions: [] })).toBe(
      'produced 0 messages to t',
    );
    expect(
      consumedLine({
        topic: 't',
        group: 'g',
        messages: 1,
        stoppedBy: 'idle',
        committed: [{ topic: 't', partition: 0, offset: 8 }],
      }),
    ).toBe('consumed 1 message from t (idle for --timeout); group g committed 0@8');
    expect(
      consumedLine({ topic: 't', group: null, messages: 2, stoppedBy: 'max-messages', committed: [] }),
    ).toBe('consumed 2 messages from t (reached --max-messages)');
  });
});
