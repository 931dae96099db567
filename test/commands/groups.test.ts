/**
 * `mq groups list|describe` end to end against a real broker: a live mq member (state, protocol,
 * member, assignment, owner per partition), a group that only has committed offsets, unknown
 * groups, and (issue 3) the lag kcat's own consumer leaves behind.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/index.js';
import type { GroupList, GroupView } from '../../src/tools/admin/groups.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { waitFor } from '../client/helpers.js';
import { requireBinary } from '../support/binaries.js';
import { flat, lines, mq, requireBuild, startMq } from '../support/mq-cli.js';
import { keyedMessages, produceMessages } from '../support/topic-data.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

let broker: EmbeddedBroker;
let admin: Admin;
let b: string[];

beforeAll(async () => {
  requireBuild('groups/describe');
  broker = await EmbeddedBroker.start({ flush: 'os' });
  b = ['--brokers', broker.bootstrap];
  admin = new Admin({ bootstrap: broker.bootstrap });
});
afterAll(async () => {
  await admin?.close();
  await broker?.close();
});

async function produce(topic: string, partitions: number, n: number): Promise<void> {
  await admin.createTopics([{ topic, partitions }]);
  await produceMessages(broker.bootstrap, topic, keyedMessages(n));
}

describe('mq groups', { timeout: 300_000 }, () => {
  it('list and describe a live mq consumer group, then the Empty group it leaves with its offsets', async () => {
    await produce('watched', 2, 40);
    const member = startMq(['consume', '-t', 'watched', '-G', 'live', '--from-beginning', ...b]);
    try {
      await waitFor(
        async () => {
          const [g] = await admin.describeGroups(['live']);
          return g.state === 'Stable' && member.lines.length === 40;
        },
        'the member to join and read everything',
        60_000,
      );
      // The member commits what it printed within a second.
      await waitFor(async () => (await admin.groupLag('live', ['watched'])).total === 0, 'lag 0', 60_000);

      const [list, listText, json, text] = await Promise.all([
        mq(['groups', 'list', '--json', ...b]),
        mq(['groups', 'list', ...b]),
        mq(['groups', 'describe', 'live', '--json', ...b]),
        mq(['groups', 'describe', 'live', ...b]),
      ]);
      expect(list.exitCode, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as GroupList).groups).toContainEqual({
        groupId: 'live',
        state: 'Stable',
        protocolType: 'consumer',
      });
      expect(listText.exitCode, listText.stderr).toBe(0);
      expect(listText.stdout).toMatch(/^GROUP\s+STATE\s+PROTOCOL-TYPE\s*$/m);
      expect(listText.stdout).toMatch(/^live\s+Stable\s+consumer\s*$/m);

      expect(json.exitCode, json.stderr).toBe(0);
      const g = JSON.parse(json.stdout) as GroupView;
      const memberId = g.members[0]?.memberId;
      expect(g).toEqual({
        groupId: 'live',
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'range',
        members: [
          {
            memberId: expect.stringMatching(/^mq-cli-/),
            clientId: 'mq-cli',
            host: expect.stringContaining('127.0.0.1'),
            assignment: [{ topic: 'watched', partitions: [0, 1] }],
          },
        ],
        partitions: [0, 1].map((partition) => ({
          topic: 'watched',
          partition,
          committed: expect.any(Number),
          logEnd: expect.any(Number),
          lag: 0,
          memberId,
          clientId: 'mq-cli',
          host: expect.stringContaining('127.0.0.1'),
        })),
        totalLag: 0,
      });
      expect(g.partitions.map((p) => p.committed)).toEqual(g.partitions.map((p) => p.logEnd));
      expect(g.partitions.reduce((n, p) => n + p.logEnd, 0)).toBe(40);

      const out = lines(text.stdout);
      expect(out[0]).toBe('group live: Stable, protocol consumer/range, 1 member, total lag 0');
      expect(out).toContainEqual(expect.stringMatching(/^MEMBER-ID\s+CLIENT-ID\s+HOST\s+ASSIGNMENT$/));
      expect(out).toContainEqual(expect.stringMatching(/watched: 0,1$/));
      expect(out).toContainEqual(
        expect.stringMatching(
          /^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$/,
        ),
      );
    } finally {
      expect(await member.stop('SIGINT')).toBe(0);
    }

    // The member left: the group is Empty but keeps its offsets; new messages show up as lag.
    await produceMessages(
      broker.bootstrap,
      'watched',
      Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `late${i}` })),
    );
    const after = await mq(['groups', 'describe', 'live', '--json', ...b]);
    const empty = JSON.parse(after.stdout) as GroupView;
    expect(empty).toMatchObject({ groupId: 'live', state: 'Empty', members: [], totalLag: 5 });
    expect(empty.partitions.map((p) => [p.partition, p.lag, p.memberId])).toEqual([
      [0, 0, null],
      [1, 5, null],
    ]);
  });

  it('an unknown group exits 1 saying how to find the right one; no broker exits 2', async () => {
    const [unknown, unreachable] = await Promise.all([
      mq(['groups', 'describe', 'nobody', ...b]),
      mq(['groups', 'list', '--brokers', '127.0.0.1:1']),
    ]);
    expect(unknown.exitCode).toBe(1);
    expect(flat(unknown.stderr)).toMatch(
      /group nobody does not exist: it has no members and no committed offsets \(see the groups with `mq groups list`\)/,
    );
    expect(unreachable.exitCode).toBe(2);
    expect(flat(unreachable.stderr)).toMatch(
      /Is `mq serve` running\? Start it with `mq serve`, or pass --brokers host:port/,
    );
  });

  it.skipIf(!kcat)("reports the lag that kcat's own consumer leaves (issue 3)", async () => {
    const topic = 'kcat-lag';
    const n = 400;
    const k = 150;
    await produce(topic, 4, n);
    // kcat -c exits after k messages; librdkafka stores the offset of each message it hands to
    // kcat (enable.auto.offset.store) and commits stored offsets every 100 ms and on close.
    const read = await execa(
      kcat!,
      [
        '-b',
        broker.bootstrap,
        '-G',
        'kcat-grp',
        '-c',
        String(k),
        '-q',
        '-u',
        '-f',
        '%p %o\\n',
        '-X',
        'auto.offset.reset=earliest',
        '-X',
        'enable.auto.commit=true',
        '-X',
        'auto.commit.interval.ms=100',
        topic,
      ],
      { reject: false, timeout: 60_000 },
    );
    expect(read.exitCode, read.stderr).toBe(0);
    const rows = lines(read.stdout).map((l) => l.split(' ').map(Number));
    expect(rows).toHaveLength(k);
    const nextByPartition = new Map<number, number>();
    for (const [p, o] of rows) nextByPartition.set(p, Math.max(nextByPartition.get(p) ?? 0, o + 1));

    const r = await mq(['groups', 'describe', 'kcat-grp', '--json', ...b]);
    expect(r.exitCode, r.stderr).toBe(0);
    const g = JSON.parse(r.stdout) as GroupView;
    expect(g).toMatchObject({ groupId: 'kcat-grp', state: 'Empty', members: [], totalLag: n - k });
    expect(g.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    const ends = await admin.listOffsets(topic, 'latest');
    for (const p of g.partitions) {
      expect(p.logEnd).toBe(ends[p.partition].offset);
      // Committed where kcat read (the offset after the last message it printed), none elsewhere.
      expect(p.committed).toBe(nextByPartition.get(p.partition) ?? null);
      expect(p.lag).toBe(p.logEnd - (p.committed ?? 0));
    }
  });
});
