/**
 * Group membership with clients we did not write, beyond the steady state of groups.test.ts:
 * - a kafkajs member in its own process is SIGKILLed (no LeaveGroup): the broker evicts it when
 *   its session times out and the other members take over its partitions;
 * - two kcat (librdkafka) members with the roundrobin assignor consume each message once, and
 *   `mq groups describe --json` shows a round-robin assignment;
 * - a kcat member with group.instance.id (static membership) killed and restarted within its
 *   session timeout takes its old place: same partitions, no rebalance, generation unchanged.
 */
import { execa, type ResultPromise } from 'execa';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GroupView } from '../../src/tools/admin/groups.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { requireBinary } from '../support/binaries.js';
import { kafkaFor, kcatMemberArgs, waitFor } from '../support/interop.js';
import { mq, requireBuild } from '../support/mq-cli.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

async function produce(kafka: Kafka, topic: string, values: string[], partitions: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: values.map((value, i) => ({ value, partition: i % partitions })),
  });
  await producer.disconnect();
}

/** Info lines of the broker's log with this message (pino JSON on stderr). */
function brokerLog(b: EmbeddedBroker, msg: string): Record<string, unknown>[] {
  return b.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter((l) => l.msg === msg);
}

async function describeGroup(b: EmbeddedBroker, group: string): Promise<GroupView> {
  const r = await mq(['groups', 'describe', group, '--json', '--brokers', b.bootstrap]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as GroupView;
}

/** Member id -> sorted partitions of `topic`. */
function assignments(view: GroupView, topic: string): Map<string, number[]> {
  return new Map(
    view.members.map((m) => [m.memberId, m.assignment.find((a) => a.topic === topic)?.partitions ?? []]),
  );
}

/**
 * A kafkajs consumer group member in a child process: one JSON line per event on stdout,
 * {"event":"join","assignment":{topic:[partitions]}} and {"event":"msg","partition","value"}.
 */
const KAFKAJS_MEMBER = `
import { Kafka, logLevel } from 'kafkajs';
const { BROKER, GROUP, TOPIC, SESSION_MS } = process.env;
const kafka = new Kafka({ clientId: 'doomed', brokers: [BROKER], logLevel: logLevel.NOTHING });
const c = kafka.consumer({
  groupId: GROUP, sessionTimeout: Number(SESSION_MS), heartbeatInterval: 500, maxWaitTimeInMs: 500,
});
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
c.on(c.events.GROUP_JOIN, (e) => out({ event: 'join', assignment: e.payload.memberAssignment }));
await c.connect();
await c.subscribe({ topic: TOPIC, fromBeginning: true });
await c.run({ eachMessage: async ({ partition, message }) => out({ event: 'msg', partition, value: message.value.toString() }) });
`;

describe('a kafkajs member killed without LeaveGroup', () => {
  let broker: EmbeddedBroker;
  let child: ResultPromise | undefined;
  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'os', logLevel: 'info' });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await broker?.close();
  });

  it('is evicted at its session timeout and the others take over its partitions', async () => {
    const sessionTimeout = 6000; // the broker's minimum
    const topic = 'gk-topic';
    const group = 'gk';
    const kafka = kafkaFor(broker, 'gk-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });

    // Two members in this process...
    const survivorAssignment: number[][] = [[], []];
    const readAfterKill = new Map<number, Set<string>>();
    let killedAt = 0;
    const survivors = [0, 1].map((i) => {
      const c = kafka.consumer({
        groupId: group,
        sessionTimeout,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 500,
        rebalanceTimeout: 10_000,
      });
      c.on(c.events.GROUP_JOIN, (e) => {
        survivorAssignment[i] = e.payload.memberAssignment[topic] ?? [];
      });
      return c;
    });
    for (const c of survivors) {
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          const v = message.value!.toString();
          if (killedAt > 0 && v.startsWith('after-')) {
            const seen = readAfterKill.get(partition) ?? new Set();
            seen.add(v);
            readAfterKill.set(partition, seen);
          }
        },
      });
    }
    // ... and one in a child process.
    let childOut = '';
    child = execa(process.execPath, ['--input-type=module', '-e', KAFKAJS_MEMBER], {
      cwd: packageRoot(),
      env: { BROKER: broker.bootstrap, GROUP: group, TOPIC: topic, SESSION_MS: String(sessionTimeout) },
      reject: false,
      buffer: false,
      stdin: 'ignore',
    });
    child.stdout!.on('data', (d: Buffer) => {
      childOut += d.toString();
    });
    const childEvents = () =>
      childOut
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; assignment?: Record<string, number[]> });
    const childAssignment = () =>
      childEvents()
        .filter((e) => e.event === 'join')
        .at(-1)?.assignment?.[topic] ?? [];

    // Steady state: three members, six partitions, two each.
    await waitFor(
      async () => {
        const g = (await admin.describeGroups([group])).groups[0];
        return (
          g.state === 'Stable' &&
          g.members.length === 3 &&
          childAssignment().length === 2 &&
          survivorAssignment.every((a) => a.length === 2)
        );
      },
      40_000,
      'a stable group of three members with two partitions each',
    );
    const doomed = childAssignment();
    expect(new Set([...doomed, ...survivorAssignment.flat()])).toEqual(new Set([0, 1, 2, 3, 4, 5]));

    // SIGKILL: no LeaveGroup, no clean close, the socket just goes away.
    child.kill('SIGKILL');
    await child;
    killedAt = Date.now();
    await produce(
      kafka,
      topic,
      Array.from({ length: 60 }, (_, i) => `after-${i}`),
      6,
    );

    // Its partitions' new messages are read by the others: only possible once they own them.
    const took = await waitFor(
      () => doomed.every((p) => (readAfterKill.get(p)?.size ?? 0) === 10),
      sessionTimeout + 15_000,
      "the survivors to read the killed member's partitions",
    );
    expect(took).toBeLessThan(sessionTimeout + 5000);
    for (const p of doomed)
      expect(survivorAssignment[0].includes(p) || survivorAssignment[1].includes(p)).toBe(true);
    expect(new Set(survivorAssignment.flat())).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    // The broker evicted it by session timeout; it did not leave.
    expect(brokerLog(broker, 'member session expired; removed').length).toBe(1);
    expect(brokerLog(broker, 'member left the group')).toEqual([]);
    const g = (await admin.describeGroups([group])).groups[0];
    expect(g.state).toBe('Stable');
    expect(g.members.length).toBe(2);

    for (const c of survivors) await c.disconnect();
    await admin.disconnect();
  });
});

describe.skipIf(!kcat)('kcat (librdkafka) members', () => {
  let broker: EmbeddedBroker;
  const procs: ResultPromise[] = [];
  beforeAll(async () => {
    requireBuild('groups/describe');
    broker = await EmbeddedBroker.start({ flush: 'os', logLevel: 'info' });
  });
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill('SIGKILL');
  });
  afterAll(async () => {
    await broker?.close();
  });

  /** A kcat -G member; its stdout ("partition value" lines) accumulates in out(). */
  function member(group: string, topic: string, extra: string[]) {
    let out = '';
    const p = execa(
      kcat!,
      kcatMemberArgs(broker.bootstrap, group, topic, ['-X', 'heartbeat.interval.ms=500', ...extra]),
      { reject: false, buffer: false, stdin: 'ignore' },
    );
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    procs.push(p);
    const lines = () => out.split('\n').filter(Boolean);
    return { proc: p, lines };
  }

  async function stableWith(admin: ReturnType<Kafka['admin']>, group: string, members: number) {
    await waitFor(
      async () => {
        const g = (await admin.describeGroups([group])).groups[0];
        return g.state === 'Stable' && g.members.length === members;
      },
      30_000,
      `${members} kcat members in a stable group`,
    );
  }

  it('two roundrobin members consume each message once, assigned round-robin', async () => {
    const topic = 'rr-topic';
    const group = 'rr';
    const kafka = kafkaFor(broker, 'rr-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const rr = ['-X', 'partition.assignment.strategy=roundrobin'];
    const members = [member(group, topic, rr), member(group, topic, rr)];
    await stableWith(admin, group, 2);

    const view = await describeGroup(broker, group);
    expect(view.state).toBe('Stable');
    expect(view.protocol).toBe('roundrobin');
    // Round robin over the partitions in order, members in member id order (librdkafka's
    // roundrobin assignor); range would give [0,1,2] and [3,4,5].
    const byMember = assignments(view, topic);
    const ids = [...byMember.keys()].sort();
    expect(ids.map((id) => byMember.get(id))).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);

    const n = 3000;
    await produce(
      kafka,
      topic,
      Array.from({ length: n }, (_, i) => `rr-${i}`),
      6,
    );
    const all = () => members.flatMap((m) => m.lines());
    await waitFor(() => all().length >= n, 30_000, `the kcat members to read ${n} messages`);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up by now
    expect(all().length).toBe(n);
    expect(new Set(all().map((l) => l.split(' ')[1])).size).toBe(n);
    // Each member read exactly the partitions describe says it owns. Members are matched to
    // kcat processes by what they read.
    const read = members.map((m) => [...new Set(m.lines().map((l) => Number(l.split(' ')[0])))].sort());
    expect(read.sort((a, b) => a[0] - b[0])).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
    await admin.disconnect();
  });

  it('a static member (group.instance.id) restarted within its session keeps its partitions without a rebalance', async () => {
    const topic = 'static-topic';
    const group = 'static';
    const kafka = kafkaFor(broker, 'static-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const staticArgs = ['-X', 'group.instance.id=static-a'];
    const a = member(group, topic, staticArgs);
    const b = member(group, topic, []);
    await stableWith(admin, group, 2);
    const before = await describeGroup(broker, group);
    const stableLines = brokerLog(broker, 'group is stable').filter((l) => l.group === group);
    const generation = stableLines.at(-1)!.generation as number;
    const rebalancesBefore = brokerLog(broker, 'preparing to rebalance').filter(
      (l) => l.group === group,
    ).length;

    // Find which member is the static one: the one whose partitions kcat A reads.
    await produce(
      kafka,
      topic,
      Array.from({ length: 400 }, (_, i) => `s1-${i}`),
      4,
    );
    await waitFor(() => a.lines().length + b.lines().length >= 400, 20_000, 'the first 400 messages');
    const aParts = [...new Set(a.lines().map((l) => Number(l.split(' ')[0])))].sort();
    const beforeByMember = assignments(before, topic);
    const staticId = [...beforeByMember].find(([, ps]) => ps.join() === aParts.join())?.[0];
    expect(staticId, `no member owns ${aParts}`).toBeDefined();
    const otherId = [...beforeByMember.keys()].find((id) => id !== staticId)!;

    // Kill it (no LeaveGroup) and start it again with the same instance id, well within 10 s.
    a.proc.kill('SIGKILL');
    await a.proc;
    const a2 = member(group, topic, staticArgs);
    await waitFor(() => brokerLog(broker, 'static member replaced').length > 0, 20_000, 'the static rejoin');

    // New messages on its partitions reach the new process.
    await produce(
      kafka,
      topic,
      Array.from({ length: 400 }, (_, i) => `s2-${i}`),
      4,
    );
    await waitFor(
      () =>
        a2.lines().filter((l) => l.includes(' s2-')).length +
          b.lines().filter((l) => l.includes(' s2-')).length >=
        400,
      20_000,
      'the second 400 messages',
    );
    const a2Parts = [
      ...new Set(
        a2
          .lines()
          .filter((l) => l.includes(' s2-'))
          .map((l) => Number(l.split(' ')[0])),
      ),
    ].sort();
    expect(a2Parts).toEqual(aParts);

    const after = await describeGroup(broker, group);
    expect(after.state).toBe('Stable');
    const afterByMember = assignments(after, topic);
    expect(afterByMember.size).toBe(2);
    // The other member was not touched: same id, same partitions.
    expect(afterByMember.get(otherId)).toEqual(beforeByMember.get(otherId));
    // The static member has a new member id and its old partitions.
    const newStaticId = [...afterByMember.keys()].find((id) => id !== otherId)!;
    expect(newStaticId).not.toBe(staticId);
    expect(afterByMember.get(newStaticId)).toEqual(aParts);
    // No rebalance: no new "preparing to rebalance", the generation is the one before.
    expect(brokerLog(broker, 'preparing to rebalance').filter((l) => l.group === group).length).toBe(
      rebalancesBefore,
    );
    expect(
      brokerLog(broker, 'group is stable')
        .filter((l) => l.group === group)
        .at(-1)!.generation,
    ).toBe(generation);
    const replaced = brokerLog(broker, 'static member replaced');
    expect(replaced).toHaveLength(1);
    expect(replaced[0]).toMatchObject({
      group,
      oldId: staticId,
      newMemberId: newStaticId,
      instance: 'static-a',
    });
    await admin.disconnect();
  });
});
