/**
 * `mq consume` end to end: start positions, partitions, --max-messages, --timeout, --format and
 * JSON Lines, group mode committing only what was printed, clean stop on Ctrl-C, and errors.
 * Issue 3: kcat produces → mq consume prints the same lines; a kcat member and an mq member share
 * a group on a 4-partition topic and together read every message exactly once.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer } from '../../src/client/index.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { waitFor } from '../client/helpers.js';
import { requireBinary } from '../support/binaries.js';
import { flat, lines, mq, requireBuild, startMq, startProcess } from '../support/mq-cli.js';
import { keyedMessages, produceMessages } from '../support/topic-data.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

let broker: EmbeddedBroker;
let admin: Admin;
let b: string[];
/** Create times of the three messages in partition 1 of "events". */
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** "a b c" → ['a', 'b', 'c']: argument lists without quoting every word. */
const w = (s: string) => s.split(' ');

beforeAll(async () => {
  requireBuild('consume');
  broker = await EmbeddedBroker.start({ flush: 'os', defaultPartitions: 1 });
  b = ['--brokers', broker.bootstrap];
  admin = new Admin({ bootstrap: broker.bootstrap });
  await admin.createTopics([{ topic: 'events', partitions: 3 }]);
  // One send at a time: one batch per message, so each has its own timestamp for ListOffsets.
  const producer = new Producer({ bootstrap: broker.bootstrap });
  for (let i = 0; i < 5; i++) {
    await producer.send({
      topic: 'events',
      partition: 0,
      key: `k${i}`,
      value: `e0-${i}`,
      headers: { n: String(i) },
    });
  }
  for (let i = 0; i < 3; i++) {
    await producer.send({ topic: 'events', partition: 1, value: `e1-${i}`, timestamp: T0 + i * 1000 });
  }
  await producer.close();
});
afterAll(async () => {
  await admin?.close();
  await broker?.close();
});

/** Current committed offsets of a group, by partition. */
async function committed(group: string, topic: string): Promise<Record<number, number>> {
  const list = await admin.fetchCommittedOffsets(group, [topic]);
  return Object.fromEntries(list.filter((c) => c.offset >= 0).map((c) => [c.partition, c.offset]));
}

describe('mq consume', { timeout: 300_000 }, () => {
  it('--from-beginning prints every value, in order per partition, and exits after --timeout idle', async () => {
    const r = await mq([...w('consume -t events --from-beginning --timeout 1s'), ...b]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect([...out].sort()).toEqual(['e0-0', 'e0-1', 'e0-2', 'e0-3', 'e0-4', 'e1-0', 'e1-1', 'e1-2']);
    expect(out.filter((l) => l.startsWith('e0'))).toEqual(['e0-0', 'e0-1', 'e0-2', 'e0-3', 'e0-4']);
    expect(r.stderr).toMatch(/consumed 8 messages from events \(idle for --timeout\)/);
  });

  it('--offset -N with --partition and --json: one object per message', async () => {
    const r = await mq([...w('consume -t events --offset -2 -p 0 --timeout 1s --json'), ...b]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => JSON.parse(l))).toEqual(
      [3, 4].map((i) => ({
        topic: 'events',
        partition: 0,
        offset: i,
        timestamp: expect.any(Number),
        key: `k${i}`,
        value: `e0-${i}`,
        headers: [{ key: 'n', value: String(i) }],
      })),
    );
  });

  it('--offset N, --format fields and escapes, --max-messages stops mid-batch', async () => {
    const format = '{topic}/{partition}@{offset}\\t{key}={value} [{headers}]';
    const r = await mq([...w('consume -t events -o 1 -p 0 -p 1 -c 3 --format'), format, ...b]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(3);
    // Each partition starts at offset 1 and stays in order; which partition comes first is the fetch's.
    const p0 = ['events/0@1\tk1=e0-1 [n=1]', 'events/0@2\tk2=e0-2 [n=2]', 'events/0@3\tk3=e0-3 [n=3]'];
    const p1 = ['events/1@1\t=e1-1 []', 'events/1@2\t=e1-2 []'];
    const got0 = out.filter((l) => l.startsWith('events/0'));
    const got1 = out.filter((l) => l.startsWith('events/1'));
    expect(got0).toEqual(p0.slice(0, got0.length));
    expect(got1).toEqual(p1.slice(0, got1.length));
    expect(r.stderr).toMatch(/consumed 3 messages from events \(reached --max-messages\)/);
  });

  it('--offset @TIME starts at the first message at or after the time (ms or ISO 8601)', async () => {
    const [ms, iso] = await Promise.all([
      mq([...w(`consume -t events -p 1 -o @${T0 + 1000} -c 2`), ...b]),
      mq([...w('consume -t events -p 1 -o @2024-05-01T12:00:02Z -c 1'), ...b]),
    ]);
    expect(lines(ms.stdout)).toEqual(['e1-1', 'e1-2']);
    expect(lines(iso.stdout)).toEqual(['e1-2']);
  });

  it('without --offset it starts at the end: only messages produced after it started', async () => {
    const running = startMq([...w('consume -t events -p 2 -c 1'), ...b]);
    const producer = new Producer({ bootstrap: broker.bootstrap });
    let n = 0;
    try {
      // The start position is fixed some time after launch; keep producing until it reads one.
      while (running.lines.length === 0) {
        await producer.send({ topic: 'events', partition: 2, value: `new-${n++}` });
        await Promise.race([running.exited(), new Promise((r) => setTimeout(r, 300))]);
        if (n > 300) throw new Error(`no message read: ${running.stderr()}`);
      }
    } finally {
      await producer.close();
    }
    expect(await running.exited()).toBe(0);
    expect(running.lines).toEqual([expect.stringMatching(/^new-\d+$/)]);
    expect(Number(running.lines[0].slice(4))).toBeGreaterThan(0);
  });

  it('--group commits what was printed: a second run continues where the first stopped', async () => {
    await admin.createTopics([{ topic: 'grouped', partitions: 1 }]);
    await produceMessages(
      broker.bootstrap,
      'grouped',
      Array.from({ length: 10 }, (_, i) => ({ value: `g${i}` })),
    );

    const first = await mq([...w('consume -t grouped -G resume --from-beginning -c 4'), ...b]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(lines(first.stdout)).toEqual(['g0', 'g1', 'g2', 'g3']);
    expect(first.stderr).toMatch(/group resume committed 0@4/);
    expect(await committed('resume', 'grouped')).toEqual({ 0: 4 });

    const second = await mq([...w('consume -t grouped -G resume --from-beginning --timeout 1s'), ...b]);
    expect(lines(second.stdout)).toEqual(['g4', 'g5', 'g6', 'g7', 'g8', 'g9']);
    expect(await committed('resume', 'grouped')).toEqual({ 0: 10 });
  });

  it('Ctrl-C stops a group consumer cleanly: exit 0, what was printed is committed', async () => {
    await admin.createTopics([{ topic: 'interrupted', partitions: 2 }]);
    await produceMessages(broker.bootstrap, 'interrupted', keyedMessages(50));
    const running = startMq([
      ...w('consume -t interrupted -G ctrl-c --from-beginning -f'),
      '{partition} {offset}',
      ...b,
    ]);
    await waitFor(() => running.lines.length >= 50, 'the consumer to print 50 messages', 60_000);
    expect(await running.stop('SIGINT')).toBe(0);
    expect(running.stderr()).toMatch(/consumed 50 messages from interrupted \(stopped\)/);
    const printed: Record<number, number> = {};
    for (const l of running.lines) {
      const [p, o] = l.split(' ').map(Number);
      printed[p] = Math.max(printed[p] ?? 0, o + 1);
    }
    expect(await committed('ctrl-c', 'interrupted')).toEqual(printed);
  });

  it('errors: unknown topic exits 1; bad flags and an unreachable broker exit 2 saying what to do', async () => {
    const [unknown, groupAndOffset, badOffset, badFormat, badPartition, unreachable] = await Promise.all([
      mq([...w('consume -t nope --timeout 1s'), ...b]),
      mq([...w('consume -t events -G g --offset 3'), ...b]),
      mq([...w('consume -t events --offset soon'), ...b]),
      mq([...w('consume -t events --format'), '{value} {size}', ...b]),
      mq([...w('consume -t events -p 7'), ...b]),
      mq(w('consume -t events --brokers 127.0.0.1:1')),
    ]);
    expect(unknown.exitCode).toBe(1);
    expect(flat(unknown.stderr)).toMatch(/topic nope does not exist \(see the topics with `mq topics list`/);
    expect(groupAndOffset.exitCode).toBe(2);
    expect(flat(groupAndOffset.stderr)).toMatch(
      /--(group=g|offset=3) cannot also be provided when using --(offset|group)/,
    );
    expect(badOffset.exitCode).toBe(2);
    expect(flat(badOffset.stderr)).toMatch(/--offset "soon": expected beginning, end, an offset/);
    expect(badFormat.exitCode).toBe(2);
    expect(flat(badFormat.stderr)).toMatch(/--format: unknown field \{size\}/);
    expect(badPartition.exitCode).toBe(2);
    expect(flat(badPartition.stderr)).toMatch(/--partition 7: topic events has partitions 0\.\.2/);
    expect(unreachable.exitCode).toBe(2);
    expect(flat(unreachable.stderr)).toMatch(
      /cannot reach a broker at 127\.0\.0\.1:1 .*Is `mq serve` running\?/,
    );
  });
});

describe.skipIf(!kcat)('mq consume with kcat (issue 3)', { timeout: 300_000 }, () => {
  it('kcat produces, mq consume prints the same lines', async () => {
    const input = Array.from({ length: 300 }, (_, i) => `key${i % 7}:line ${i} — ü`);
    const produced = await execa(kcat!, w(`-b ${broker.bootstrap} -P -t from-kcat -K :`), {
      input: `${input.join('\n')}\n`,
      reject: false,
    });
    expect(produced.exitCode, produced.stderr).toBe(0);
    const r = await mq([...w('consume -t from-kcat --from-beginning -c 300 -f {key}:{value}'), ...b]);
    expect(r.exitCode, r.stderr).toBe(0);
    // One partition (the broker default here), so the order is kcat's.
    expect(lines(r.stdout)).toEqual(input);
  });

  it('a kcat member and an mq member share a group: both get partitions, every message read exactly once', async () => {
    const topic = 'shared';
    const group = 'kcat-and-mq';
    const n = 2000;
    await admin.createTopics([{ topic, partitions: 4 }]);
    const k = startProcess(kcat!, [
      ...w(`-b ${broker.bootstrap} -G ${group} -q -u -X auto.offset.reset=earliest -f`),
      '%p %o %s\\n',
      topic,
    ]);
    const m = startMq([
      ...w(`consume -t ${topic} -G ${group} --from-beginning -f`),
      '{partition} {offset} {value}',
      ...b,
    ]);
    try {
      let assignment = new Map<string, number[]>();
      await waitFor(
        async () => {
          const [g] = await admin.describeGroups([group]);
          assignment = new Map(
            g.members.map((mem) => [
              mem.clientId,
              (mem.assignment?.assignedPartitions ?? []).flatMap((a) => a.partitions),
            ]),
          );
          return (
            g.state === 'Stable' &&
            g.members.length === 2 &&
            [...assignment.values()].every((p) => p.length > 0)
          );
        },
        'a stable group of two members with partitions each',
        60_000,
      );
      expect(new Set(assignment.keys())).toEqual(new Set(['rdkafka', 'mq-cli']));

      await produceMessages(broker.bootstrap, topic, keyedMessages(n));
      await waitFor(
        () => k.lines.length + m.lines.length >= n,
        `${n} messages between the two members`,
        60_000,
      );
      // Anything read twice would show up shortly after.
      await new Promise((r) => setTimeout(r, 1000));

      const kRows = k.lines.map((l) => l.split(' '));
      const mRows = m.lines.map((l) => l.split(' '));
      expect(kRows.length).toBeGreaterThan(0);
      expect(mRows.length).toBeGreaterThan(0);
      const values = [...kRows, ...mRows].map((r) => r[2]);
      expect(values.length).toBe(n);
      expect(new Set(values).size).toBe(n);
      // Each member read the partitions the group gave it, and only those.
      expect(new Set(kRows.map((r) => Number(r[0])))).toEqual(new Set(assignment.get('rdkafka')));
      expect(new Set(mRows.map((r) => Number(r[0])))).toEqual(new Set(assignment.get('mq-cli')));
    } finally {
      expect(await m.stop('SIGINT')).toBe(0);
      await k.stop('SIGTERM');
    }
  });
});
