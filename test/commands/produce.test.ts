/**
 * `mq produce` end to end: stdin lines become messages with keys, headers, partitions and the
 * producer settings asked for; the --json summary; usage and connection errors. What was stored
 * is read back with mq's client, and (issue 3) with kcat, a client we did not write.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/protocol/murmur2.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';
import { flat, lines, mq, requireBuild } from '../support/mq-cli.js';
import { readTopic } from '../support/topic-data.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

let broker: EmbeddedBroker;
let b: string[];

beforeAll(async () => {
  requireBuild('produce');
  broker = await EmbeddedBroker.start({ flush: 'os', defaultPartitions: 4 });
  b = ['--brokers', broker.bootstrap];
});
afterAll(async () => {
  await broker?.close();
});

describe('mq produce', { timeout: 240_000 }, () => {
  it('keys before the separator, headers on every message, Kafka key partitioning, order kept', async () => {
    const input = [
      'user-1\tlogin',
      'user-2\tlogin',
      'user-1\tclick\tbutton',
      'no key here',
      '',
      'user-1\tlogout',
    ]
      .map((l) => `${l}\r\n`)
      .join('');
    const r = await mq(
      [
        'produce',
        '-t',
        'keyed',
        '--key-separator',
        '\\t',
        '--header',
        'source=test',
        '-H',
        'expr=a=b',
        '--json',
        ...b,
      ],
      { input },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ topic: 'keyed', messages: 6 });

    const stored = await readTopic(broker.bootstrap, 'keyed');
    expect(stored).toHaveLength(6);
    expect(summary.bytes).toBe(stored.reduce((n, m) => n + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0));
    for (const m of stored) expect(m.headers).toEqual({ source: 'test', expr: 'a=b' });
    const user1 = stored.filter((m) => m.key === 'user-1');
    expect(user1.map((m) => m.value)).toEqual(['login', 'click\tbutton', 'logout']);
    expect(new Set(user1.map((m) => m.partition))).toEqual(
      new Set([partitionForKey(Buffer.from('user-1'), 4)]),
    );
    expect(stored.find((m) => m.key === 'user-2')?.partition).toBe(partitionForKey(Buffer.from('user-2'), 4));
    // No separator: no key, the whole line is the value; an empty line is an empty message.
    expect(
      stored
        .filter((m) => m.key === null)
        .map((m) => m.value)
        .sort(),
    ).toEqual(['', 'no key here']);

    // The summary's per-partition counts and offsets match what the log holds.
    for (const p of summary.partitions) {
      const inP = stored.filter((m) => m.partition === p.partition);
      expect(p.messages).toBe(inP.length);
      expect([p.firstOffset, p.lastOffset]).toEqual([inP[0].offset, inP[inP.length - 1].offset]);
    }
  });

  it('--partition, --acks, --compression gzip, --idempotent; the plain summary is a count', async () => {
    await mq(['topics', 'create', 'settings', '-p', '3', ...b]);
    const gz = await mq(
      ['produce', '-t', 'settings', '-p', '2', '--compression', 'gzip', '--idempotent', ...b],
      {
        input: 'one\ntwo\nthree\n',
      },
    );
    expect(gz.exitCode, gz.stderr).toBe(0);
    expect(gz.stdout.trim()).toBe('produced 3 messages to settings (partition 2: 3)');

    const acks1 = await mq(['produce', '-t', 'settings', '-p', '0', '--acks', '1', '--json', ...b], {
      input: 'x\n',
    });
    expect(JSON.parse(acks1.stdout).partitions).toEqual([
      { partition: 0, messages: 1, firstOffset: 0, lastOffset: 0 },
    ]);

    // acks 0: the broker does not answer, so offsets are unknown.
    const acks0 = await mq(['produce', '-t', 'settings', '-p', '0', '--acks', '0', '--json', ...b], {
      input: 'y\n',
    });
    expect(acks0.exitCode, acks0.stderr).toBe(0);
    expect(JSON.parse(acks0.stdout).partitions).toEqual([
      { partition: 0, messages: 1, firstOffset: null, lastOffset: null },
    ]);

    const stored = await readTopic(broker.bootstrap, 'settings');
    expect(stored.map((m) => `${m.partition}:${m.value}`)).toEqual([
      '0:x',
      '0:y',
      '2:one',
      '2:two',
      '2:three',
    ]);
  });

  it('usage problems exit 2 and say what to do', async () => {
    const [idem, partition, header, acks] = await Promise.all([
      mq(['produce', '-t', 'keyed', '--idempotent', '--acks', '1', ...b], { input: 'x\n' }),
      mq(['produce', '-t', 'keyed', '--partition', '9', ...b], { input: 'x\n' }),
      mq(['produce', '-t', 'keyed', '--header', 'novalue', ...b], { input: 'x\n' }),
      mq(['produce', '-t', 'keyed', '--acks', 'some', ...b], { input: 'x\n' }),
    ]);
    expect([idem.exitCode, partition.exitCode, header.exitCode, acks.exitCode]).toEqual([2, 2, 2, 2]);
    expect(flat(idem.stderr)).toMatch(/--idempotent needs --acks all/);
    expect(flat(partition.stderr)).toMatch(/--partition 9: topic keyed has partitions 0\.\.3/);
    expect(flat(header.stderr)).toMatch(/--header "novalue": expected key=value/);
    expect(flat(acks.stderr)).toMatch(/--acks "some": expected all, 1 or 0/);
    expect((await readTopic(broker.bootstrap, 'keyed')).length).toBe(6);
  });

  it('an unreachable broker exits 2 with the mq serve hint, before reading stdin', async () => {
    const r = await mq(['produce', '-t', 'x', '--brokers', '127.0.0.1:1'], { input: 'x\n' });
    expect(r.exitCode).toBe(2);
    expect(flat(r.stderr)).toMatch(/cannot reach a broker at 127\.0\.0\.1:1 .*Is `mq serve` running\?/);
  });

  it.skipIf(!kcat)(
    'kcat reads back exactly what mq produce sent: keys, values, headers, partitions',
    async () => {
      const n = 500;
      const input = Array.from({ length: n }, (_, i) => `k${i % 17}=value ${i} ü`).join('\n');
      const r = await mq(
        ['produce', '-t', 'to-kcat', '-K', '=', '-H', 'origin=mq', '--compression', 'gzip', ...b],
        {
          input: `${input}\n`,
        },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const read = await execa(
        kcat!,
        ['-b', broker.bootstrap, '-C', '-t', 'to-kcat', '-e', '-q', '-f', '%p|%o|%k|%s|%h\n'],
        { reject: false, timeout: 60_000 },
      );
      expect(read.exitCode, read.stderr).toBe(0);
      const rows = lines(read.stdout).map((l) => l.split('|'));
      expect(rows).toHaveLength(n);
      expect(rows.map(([, , k, v]) => `${k}=${v}`).sort()).toEqual(input.split('\n').sort());
      for (const [p, , k, , h] of rows) {
        expect(h).toBe('origin=mq');
        expect(Number(p)).toBe(partitionForKey(Buffer.from(k), 4));
      }
      // Per key, kcat sees the lines in input order.
      const k3 = rows.filter(([, , k]) => k === 'k3').map(([, , , v]) => Number(v.split(' ')[1]));
      expect(k3).toEqual([...k3].sort((x, y) => x - y));
    },
  );
});
