/**
 * The rabbitmq driver against a real rabbitmq-server, started once for the file on free
 * loopback ports (it takes 10-40 s): the shared engine contract on classic queues, quorum
 * queues, messages published before any group, refusals, `mq bench` through the compiled CLI
 * (npm run build first), and the durability control: a SIGKILLed server loses acknowledged
 * messages without publisher confirms, and none with confirms on durable or quorum queues.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDriver,
  type Driver,
  DriverCapabilityError,
  requireCapabilities,
} from '../../src/drivers/index.js';
import { BenchResultSchema } from '../../src/tools/bench/result.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { type Peer, startPeer } from '../../src/tools/peers/index.js';
import { LossChecker } from '../../src/tools/verify/checker/checker.js';
import { readEvent } from '../../src/tools/verify/read-event.js';
import { requireBinary } from '../support/binaries.js';
import {
  collector,
  engineContract,
  produce,
  stamped,
  verifyLossThroughCli,
  waitFor,
} from './engine-contract.js';

const available = requireBinary('rabbitmq-server', 'apt-get install rabbitmq-server') !== null;

describe.skipIf(!available)('rabbitmq driver on a real rabbitmq-server', () => {
  let peer: Peer;
  const drivers: Driver[] = [];
  const driver = (query = '') => {
    const d = createDriver('rabbitmq', { brokers: `${peer.url}${query}` });
    drivers.push(d);
    return d;
  };
  let main: Driver;
  const mq = (args: string[]) =>
    execa(process.execPath, [path.join(packageRoot(), 'bin', 'run.js'), ...args], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
  beforeAll(async () => {
    peer = await startPeer('rabbitmq');
    main = driver();
  }, 180_000);
  afterAll(async () => {
    for (const d of drivers) await d.close().catch(() => {});
    await peer?.close();
  }, 120_000);

  engineContract({
    name: 'rabbitmq',
    driver: () => main,
    slowConsumerUrl: () => `${peer.url}?prefetch=10`,
    // RabbitMQ requeues a dead member's unacked messages at once.
    quickTakeover: () => main,
  });

  it('works on quorum queues, and refuses a group of another queue type on the same topic', async () => {
    const quorum = driver('?queue-type=quorum');
    const t = 'rabbitmq-quorum';
    await quorum.admin.createTopic(t, 2);
    const c = quorum.createConsumer({ topic: t, group: 'g-q', fromBeginning: true });
    const got = collector();
    await c.start(got.onBatch);
    await produce(quorum, t, 100, 2);
    await got.until(100);
    await c.close();
    expect(new Set(got.seqs()).size).toBe(100);
    await waitFor('lag 0', async () => (await quorum.admin.lag('g-q', t)).every((l) => l.lag === 0));
    const classic = main.createConsumer({ topic: t, group: 'g-q', fromBeginning: true });
    await expect(classic.start(() => {})).rejects.toThrow(/x-queue-type/);
    await classic.close();
    await quorum.admin.deleteTopic(t);
  });

  it('settles the acks of handled messages before closing: a quorum group has nothing left after close', async () => {
    // basic.ack has no reply: a consumer that closed right after its last ack had quorum queues
    // requeue handled messages (4 of 25 rounds before close() cancelled and awaited cancel-ok).
    const quorum = driver('?queue-type=quorum');
    const left: number[] = [];
    for (let round = 0; round < 15; round++) {
      const t = `rabbitmq-settle-${round}`;
      await quorum.admin.createTopic(t, 2);
      const c = quorum.createConsumer({ topic: t, group: 'g', fromBeginning: true });
      const got = collector();
      await c.start(got.onBatch);
      await produce(quorum, t, 100, 2);
      await got.until(100);
      await c.close();
      await new Promise((r) => setTimeout(r, 200));
      left.push((await quorum.admin.lag('g', t)).reduce((a, l) => a + l.lag, 0));
      await quorum.admin.deleteTopic(t);
    }
    expect(left).toEqual(new Array(15).fill(0));
  }, 120_000);

  it('keeps messages published before any group for the first group that reads from the beginning', async () => {
    const t = 'rabbitmq-unclaimed';
    await main.admin.createTopic(t, 2);
    await produce(main, t, 50, 2);
    expect((await main.admin.lag('g-late', t)).map((l) => l.lag)).toEqual([25, 25]);
    const late = main.createConsumer({ topic: t, group: 'g-late', fromBeginning: true });
    const got = collector();
    await late.start(got.onBatch);
    await got.until(50);
    // Only messages published after it started reach a consumer without a group.
    const tail = main.createConsumer({ topic: t, fromBeginning: false });
    const tailGot = collector();
    await tail.start(tailGot.onBatch);
    await produce(main, t, 10, 2, 7);
    await got.until(60);
    await tailGot.until(10);
    await late.close();
    await tail.close();
    expect(tailGot.count).toBe(10);
    await main.admin.deleteTopic(t);
  });

  it('refuses what RabbitMQ cannot do, naming it', async () => {
    expect(() => main.createProducer({ idempotent: true })).toThrow(DriverCapabilityError);
    expect(() => main.createProducer({ compression: 'gzip' })).toThrow(/compression gzip/);
    expect(() => requireCapabilities(main, { batching: true }, 'this workload')).toThrow(
      'this workload needs producer batching (batch size / linger), which driver "rabbitmq" does not support; drop the option or pick another --driver',
    );
    expect(() => createDriver('rabbitmq', { brokers: 'localhost:5672' })).toThrow(
      /needs a URL such as amqp:\/\/127\.0\.0\.1:<port>.*mq peers start rabbitmq/,
    );
    expect(() => createDriver('rabbitmq', { brokers: `${peer.url}?queue-type=stream` })).toThrow(
      /queue-type=stream is not classic or quorum/,
    );
    await main.admin.createTopic('rabbitmq-refuse', 1);
    const replay = main.createConsumer({ topic: 'rabbitmq-refuse', fromBeginning: true });
    await expect(replay.start(() => {})).rejects.toThrow(/keeps no log to replay/);
    await main.admin.deleteTopic('rabbitmq-refuse');
  });

  it('mq bench --driver rabbitmq: everything acknowledged is received', async () => {
    const r = await execa(
      process.execPath,
      [
        path.join(packageRoot(), 'bin', 'run.js'),
        'bench',
        '--driver',
        'rabbitmq',
        '--brokers',
        peer.url,
        ...['--rate', '500', '--duration', '2s', '--warmup', '500ms', '--partitions', '4', '--json'],
      ],
      { reject: false, env: { NO_COLOR: '1' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const res = BenchResultSchema.parse(JSON.parse(r.stdout));
    expect(res.driver).toBe('rabbitmq');
    expect(res.totals.sent).toBeGreaterThan(500);
    expect(res.totals.acked).toBe(res.totals.sent);
    expect(res.totals.received).toBe(res.totals.acked);
    expect(res.totals.errors).toBe(0);
    expect(res.summary.endToEnd?.count).toBeGreaterThan(0);
  }, 90_000);

  for (const fault of [[], ['--fault', 'consumer-crash:1s']]) {
    it(`mq verify-loss --driver rabbitmq ${fault.join(' ') || '(clean)'}: valid, nothing lost`, async () => {
      const report = await verifyLossThroughCli(['--driver', 'rabbitmq', '--brokers', peer.url], 2, fault);
      expect(report.counts.read).toBe(4000);
      expect(report.anomalies.logDuplicate + report.anomalies.reordered).toBe(0);
      // Without offsets the final read is the group's, of what was left: the queues end empty.
      expect(report.drain).toMatchObject({ ran: true, reachedEnd: true });
      if (fault.length > 0) expect(report.faults).toEqual([{ kind: 'consumer-crash', count: 1 }]);
    }, 90_000);
  }

  it('mq backlog fill + mq drain-backlog --driver rabbitmq: the queues drain, every message handled', async () => {
    const fill = await mq(
      ['backlog', 'fill', '--driver', 'rabbitmq', '-b', peer.url, '-t', 'rabbitmq-drain'].concat([
        '-n',
        '3000',
        '-p',
        '4',
      ]),
    );
    expect(fill.exitCode, fill.stderr).toBe(0);
    const r = await mq(
      ['drain-backlog', '--driver', 'rabbitmq', '-b', peer.url, '-t', 'rabbitmq-drain'].concat([
        '-g',
        'g',
        '-c',
        '2',
        '--json',
      ]),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.outcome).toBe('drained');
    expect(res.startLag.messages).toBe(3000);
    // A small backlog still lands on every partition: one even share per send.
    expect(res.startLag.partitions.map((p: { lag: number }) => p.lag)).toEqual([750, 750, 750, 750]);
    expect(res.endLag.messages).toBe(0);
    expect(res.counts.processed).toBe(3000);
    expect(res.latencyMs.timeInQueue.count).toBe(3000);
    // No offsets: nothing to check handled offsets against, and it says so with null.
    expect(res.coverage).toBeNull();
    expect((await main.admin.lag('g', 'rabbitmq-drain')).reduce((a, l) => a + l.lag, 0)).toBe(0);
  }, 90_000);

  it('server kill: without confirms acknowledged messages are lost, with confirms on durable or quorum queues none', async () => {
    const quorum = driver('?queue-type=quorum');
    const runs = [
      { name: 'no confirms, classic', d: main, acks: 0 as const, topic: 'rabbitmq-kill-plain' },
      { name: 'confirms, classic', d: main, acks: -1 as const, topic: 'rabbitmq-kill-classic' },
      { name: 'confirms, quorum', d: quorum, acks: -1 as const, topic: 'rabbitmq-kill-quorum' },
    ];
    for (const r of runs) await r.d.admin.createTopic(r.topic, 2);
    const payload = Buffer.alloc(100, 7);
    const acked = runs.map(() => new Set<number>());
    const publishing = runs.map(async (r, i) => {
      const producer = r.d.createProducer({ acks: r.acks });
      let seq = 0;
      try {
        for (;;) {
          const chunk = Array.from({ length: 200 }, (_, k) => ({
            value: payload,
            headers: stamped(i, seq + k),
            partition: (seq + k) % 2,
          }));
          seq += chunk.length;
          await producer.send(r.topic, chunk);
          for (let k = seq - chunk.length; k < seq; k++) acked[i].add(k);
        }
      } catch {
        // The server is gone: what was acknowledged so far is the ground truth.
      } finally {
        await producer.close().catch(() => {});
      }
    });
    await waitFor(
      'every producer to have 5000 acknowledged',
      async () => acked.every((a) => a.size >= 5000),
      60_000,
    );
    await peer.kill();
    await Promise.all(publishing);
    // RabbitMQ 3.10 sometimes does not come back from a SIGKILL within 120 s on a loaded CI
    // machine (seen in 2 of 6 runs; 1 s otherwise). What it logged is printed, then one more
    // kill and start: what the test checks is what survived the first kill.
    await peer.restart().catch(async (err: Error) => {
      console.log(`rabbitmq restart failed: ${err.message}\n${await rabbitLogTail(peer)}`);
      await peer.kill();
      await peer.restart();
    });
    const lost: number[] = [];
    const judged: number[] = [];
    for (const [i, r] of runs.entries()) {
      const present = (await r.d.admin.lag('check', r.topic)).reduce((a, l) => a + l.lag, 0);
      const c = r.d.createConsumer({ topic: r.topic, group: 'check', fromBeginning: true });
      const got = collector();
      await c.start(got.onBatch);
      await got.until(present, 60_000);
      await c.close();
      const seen = new Set(got.seqs());
      lost.push([...acked[i]].filter((s) => !seen.has(s)).length);
      // verify-loss's checker, without offsets, on the same history: the same count.
      const checker = new LossChecker();
      checker.add({ t: 'meta', v: 1, at: new Date().toISOString(), partitions: 2, offsets: false });
      for (const s of acked[i]) {
        checker.add({ t: 'send', ts: 0, p: i, s, pt: s % 2 });
        checker.add({ t: 'ok', ts: 1, p: i, s, pt: s % 2, o: -1 });
      }
      for (const b of got.batches) checker.add(readEvent('c0', b.partition, b.messages, 2));
      for (const pt of [0, 1]) checker.add({ t: 'drain', ts: 3, pt, end: 0, reached: 0 });
      const report = checker.finish();
      judged.push(report.anomalies.lost);
      expect(report.lost.certain).toBe(report.anomalies.lost);
      console.log(
        `rabbitmq kill, ${r.name}: acknowledged ${acked[i].size}, present ${seen.size}, lost ${lost[i]}`,
      );
    }
    expect(lost[0]).toBeGreaterThan(0);
    expect(lost[1]).toBe(0);
    expect(lost[2]).toBe(0);
    expect(judged).toEqual(lost);
  }, 240_000);
});

/** The last lines of the server's own logs (its console output says little). */
async function rabbitLogTail(peer: Peer): Promise<string> {
  const dir = path.join(peer.layout.dir, 'log');
  const files = await readdir(dir).catch(() => [] as string[]);
  const parts: string[] = [];
  for (const f of files.filter((n) => n.endsWith('.log') && !n.includes('upgrade'))) {
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    parts.push(`--- ${f} (last 40 lines)`, ...text.trimEnd().split('\n').slice(-40));
  }
  return parts.join('\n');
}
