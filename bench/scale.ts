/**
 * Scale run for `mq serve`: many partitions, many connections, a large backlog, and the broker's
 * memory (RSS, sampled from /proc every 100 ms) through all of it.
 *
 *   1. Create one topic of --partitions partitions (time taken).
 *   2. Open --connections connections; each asks Metadata for the topic --rounds times, all at
 *      once: latency p50/p99/max.
 *   3. Produce for --produce-seconds from --producers pipelined connections while every open
 *      connection keeps asking Metadata about once a second: records/s, MB/s, and the metadata
 *      latency under that load.
 *   4. Fill a backlog of --backlog bytes (1 MiB batches spread over all partitions), then drain
 *      it with --consumers fetch loops (10 MiB per fetch, 1 MiB per partition, as kafkajs asks):
 *      MB/s both ways and the RSS peak, which must stay far below the backlog because reads come
 *      from the page cache, not from broker memory.
 *   5. Optionally (--restart) stop, start again on the backlog: time to ready and RSS after.
 *
 *   node dist/bench/scale.js [--partitions 1000] [--connections 1000] [--backlog 5GiB]
 *        [--flush os] [--restart] [--data-dir DIR] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import bytes from 'bytes';
import { ErrorCode } from '../src/protocol/errors.js';
import { encodeRecordBatch } from '../src/protocol/records.js';
import { EmbeddedBroker } from '../src/tools/embedded-broker.js';
import { MiB, openFds, rssBytes } from './hardening/proc.js';
import { WireClient } from './hardening/wire-client.js';
import { createTopic, fetch, metadata, metadataSize, produce } from './hardening/wire-ops.js';

export interface ScaleOptions {
  partitions: number;
  connections: number;
  /** Metadata requests per connection in the connection storm. */
  rounds: number;
  producers: number;
  produceSeconds: number;
  backlogBytes: number;
  consumers: number;
  flush: string;
  restart: boolean;
  dataDir?: string;
  log?: (line: string) => void;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ScaleReport {
  partitions: number;
  connections: number;
  flush: string;
  createTopicMs: number;
  /** All connections asking Metadata at once. */
  metadataStorm: Latency;
  produce: { seconds: number; records: number; recordsPerSec: number; MBps: number; errors: number };
  /** Metadata latency on the open connections while the producers run. */
  metadataUnderLoad: Latency;
  backlog: {
    bytes: number;
    fillSeconds: number;
    fillMBps: number;
    drainedBytes: number;
    drainSeconds: number;
    drainMBps: number;
  };
  rssMiB: {
    idle: number;
    withConnections: number;
    peakProduce: number;
    peakFill: number;
    peakDrain: number;
    peak: number;
    afterRestart?: number;
  };
  openFds: { withConnections: number | null };
  restartMs?: number;
  errors: string[];
}

function latency(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    s.length === 0 ? 0 : Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** Samples a process's RSS every 100 ms; `peak()` since the last `reset()`. */
class RssSampler {
  private max = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
  }
  sample(): number {
    const r = rssBytes(this.pid) ?? 0;
    if (r > this.max) this.max = r;
    return r;
  }
  peakAndReset(): number {
    this.sample();
    const m = this.max;
    this.max = 0;
    return Math.round(m / MiB);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const TOPIC = 'scale';

function recordBatch(records: number, valueBytes: number): Buffer {
  const value = Buffer.alloc(valueBytes, 0x78);
  return encodeRecordBatch({
    records: Array.from({ length: records }, () => ({ key: null, value, headers: [] })),
    compression: 'none',
  });
}

/** Keeps `inflight` produce requests outstanding on one connection until `until()` says stop. */
async function pipelinedProduce(
  c: WireClient,
  partitions: number,
  start: number,
  batch: Buffer,
  inflight: number,
  until: (sentBytes: number) => boolean,
  onAck: (bytes: number) => void,
  errors: string[],
): Promise<void> {
  let next = start;
  let sent = 0;
  const one = async (): Promise<void> => {
    while (!until(sent)) {
      const p = next++ % partitions;
      sent += batch.length;
      const res = await produce(c, TOPIC, p, Buffer.from(batch), -1, 60_000);
      if (res.errorCode !== ErrorCode.NONE) {
        if (errors.length < 20) errors.push(`produce p${p}: error ${res.errorCode}`);
      } else onAck(batch.length);
    }
  };
  await Promise.all(Array.from({ length: inflight }, one));
}

export async function runScale(opts: ScaleOptions): Promise<ScaleReport> {
  const log = opts.log ?? (() => {});
  const errors: string[] = [];
  const ownDir = opts.dataDir ? null : await mkdtemp(path.join(os.tmpdir(), 'mq-scale-'));
  const broker = await EmbeddedBroker.start({
    dataDir: opts.dataDir ?? ownDir!,
    flush: opts.flush,
    logLevel: 'warn',
    extraArgs: ['--max-connections', String(opts.connections + 100)],
  });
  const pid = broker.pid!;
  const rss = new RssSampler(pid);
  const clients: WireClient[] = [];
  try {
    const idle = rss.peakAndReset();
    // 1. The topic.
    const admin = await WireClient.connect(broker.port);
    let t0 = Date.now();
    await createTopic(admin, TOPIC, opts.partitions, 600_000);
    const createTopicMs = Date.now() - t0;
    log(`created ${opts.partitions} partitions in ${createTopicMs} ms`);

    // 2. Connections, all asking Metadata at once.
    for (let i = 0; i < opts.connections; i++) clients.push(await WireClient.connect(broker.port));
    const storm: number[] = [];
    await Promise.all(
      clients.map(async (c, i) => {
        for (let r = 0; r < opts.rounds; r++) {
          // Every 50th connection's first answer is decoded and checked; the rest are only
          // awaited, so the figure is the broker's and not this process decoding 1,000 partitions.
          const check = r === 0 && i % 50 === 0;
          const s = performance.now();
          const md = check ? await metadata(c, [TOPIC], 120_000) : await metadataSize(c, [TOPIC], 120_000);
          storm.push(performance.now() - s);
          if (
            typeof md !== 'number' &&
            md.topics[0]?.partitions.length !== opts.partitions &&
            errors.length < 20
          ) {
            errors.push(`metadata: ${md.topics[0]?.partitions.length} partitions`);
          }
        }
      }),
    );
    const withConnections = rss.peakAndReset();
    const fdsWithConnections = openFds(pid);
    log(`${opts.connections} connections: metadata p99 ${latency(storm).p99} ms, rss ${withConnections} MiB`);

    // 3. Produce while every connection keeps asking Metadata about once a second.
    let producing = true;
    const underLoad: number[] = [];
    const background = clients.map(async (c, i) => {
      await new Promise((r) => setTimeout(r, (i * 997) % 1000));
      while (producing) {
        const s = performance.now();
        await metadataSize(c, [TOPIC], 120_000).catch(
          (err: Error) => errors.length < 20 && errors.push(err.message),
        );
        underLoad.push(performance.now() - s);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
    const producers = await Promise.all(
      Array.from({ length: opts.producers }, () => WireClient.connect(broker.port)),
    );
    const small = recordBatch(100, 100);
    let ackedBytes = 0;
    t0 = Date.now();
    const deadline = t0 + opts.produceSeconds * 1000;
    await Promise.all(
      producers.map((c, i) =>
        pipelinedProduce(
          c,
          opts.partitions,
          i * 7,
          small,
          8,
          () => Date.now() >= deadline,
          (n) => (ackedBytes += n),
          errors,
        ),
      ),
    );
    const produceSeconds = (Date.now() - t0) / 1000;
    producing = false;
    await Promise.all(background);
    const produceBatches = ackedBytes / small.length;
    const peakProduce = rss.peakAndReset();
    log(`produce: ${Math.round((produceBatches * 100) / produceSeconds)} records/s`);

    // 4. The backlog: fill with 1 MiB batches, then drain it.
    const big = recordBatch(1000, 1024);
    let filled = 0;
    t0 = Date.now();
    const share = opts.backlogBytes / producers.length;
    await Promise.all(
      producers.map((c, i) =>
        pipelinedProduce(
          c,
          opts.partitions,
          i * 131,
          big,
          4,
          (sent) => sent >= share,
          (n) => (filled += n),
          errors,
        ),
      ),
    );
    const fillSeconds = (Date.now() - t0) / 1000;
    for (const c of producers) c.close();
    const peakFill = rss.peakAndReset();
    log(`backlog of ${bytes.format(filled)} in ${fillSeconds.toFixed(1)} s; rss peak ${peakFill} MiB`);
    const drain = await drainBacklog(broker.port, opts, errors);
    const peakDrain = rss.peakAndReset();
    log(`drained ${bytes.format(drain.bytes)} in ${drain.seconds.toFixed(1)} s; rss peak ${peakDrain} MiB`);

    const report: ScaleReport = {
      partitions: opts.partitions,
      connections: opts.connections,
      flush: opts.flush,
      createTopicMs,
      metadataStorm: latency(storm),
      produce: {
        seconds: Math.round(produceSeconds * 10) / 10,
        records: produceBatches * 100,
        recordsPerSec: Math.round((produceBatches * 100) / produceSeconds),
        MBps: Math.round(ackedBytes / MiB / produceSeconds),
        errors: errors.length,
      },
      metadataUnderLoad: latency(underLoad),
      backlog: {
        bytes: filled,
        fillSeconds: Math.round(fillSeconds * 10) / 10,
        fillMBps: Math.round(filled / MiB / fillSeconds),
        drainedBytes: drain.bytes,
        drainSeconds: Math.round(drain.seconds * 10) / 10,
        drainMBps: Math.round(drain.bytes / MiB / drain.seconds),
      },
      rssMiB: {
        idle,
        withConnections,
        peakProduce,
        peakFill,
        peakDrain,
        peak: Math.max(idle, withConnections, peakProduce, peakFill, peakDrain),
      },
      openFds: { withConnections: fdsWithConnections },
      errors,
    };
    for (const c of clients) c.close();
    clients.length = 0;
    admin.close();
    if (opts.restart) {
      await broker.stop();
      t0 = Date.now();
      await broker.restart();
      report.restartMs = Date.now() - t0;
      const again = new RssSampler(broker.pid!);
      const c = await WireClient.connect(broker.port);
      const md = await metadata(c, [TOPIC]);
      if (md.topics[0]?.partitions.length !== opts.partitions)
        errors.push('partitions missing after restart');
      c.close();
      report.rssMiB.afterRestart = again.peakAndReset();
      again.stop();
      log(`restarted on the backlog in ${report.restartMs} ms; rss ${report.rssMiB.afterRestart} MiB`);
    }
    return report;
  } finally {
    rss.stop();
    for (const c of clients) c.close();
    await broker.close();
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
  }
}

/** Reads every partition from offset 0 to its end with --consumers fetch loops sharing the partitions. */
async function drainBacklog(
  port: number,
  opts: ScaleOptions,
  errors: string[],
): Promise<{ bytes: number; seconds: number }> {
  let total = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: opts.consumers }, async (_, k) => {
      const c = await WireClient.connect(port);
      try {
        const mine = Array.from({ length: opts.partitions }, (_, p) => p).filter(
          (p) => p % opts.consumers === k,
        );
        const position = new Map(mine.map((p) => [p, 0]));
        for (let pending = mine; pending.length > 0; ) {
          // Ten partitions per fetch, 1 MiB each, 10 MiB in all: what kafkajs asks for.
          const ask = pending.slice(0, 10);
          const res = await fetch(
            c,
            TOPIC,
            ask.map((p) => ({ partition: p, offset: position.get(p)! })),
            {
              maxBytes: 10 * MiB,
              partitionMaxBytes: MiB,
              timeoutMs: 120_000,
            },
          );
          const done = new Set<number>();
          for (const part of res.responses[0].partitions) {
            const records = part.records;
            if (part.errorCode !== ErrorCode.NONE) {
              if (errors.length < 20) errors.push(`fetch p${part.partitionIndex}: ${part.errorCode}`);
              done.add(part.partitionIndex);
              continue;
            }
            if (!records || records.length === 0) {
              if (position.get(part.partitionIndex)! >= part.highWatermark) done.add(part.partitionIndex);
              continue;
            }
            total += records.length;
            let next = position.get(part.partitionIndex)!;
            for (let pos = 0; records.length - pos >= 61; ) {
              const size = 12 + records.readInt32BE(pos + 8);
              if (size > records.length - pos) break;
              next =
                records.readInt32BE(pos) * 4294967296 +
                records.readUInt32BE(pos + 4) +
                records.readInt32BE(pos + 23) +
                1;
              pos += size;
            }
            position.set(part.partitionIndex, next);
            if (next >= part.highWatermark) done.add(part.partitionIndex);
          }
          pending = [
            ...pending.filter((p) => !done.has(p) && !ask.includes(p)),
            ...ask.filter((p) => !done.has(p)),
          ];
        }
      } finally {
        c.close();
      }
    }),
  );
  return { bytes: total, seconds: (Date.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      partitions: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '5' },
      producers: { type: 'string', default: '8' },
      'produce-seconds': { type: 'string', default: '10' },
      backlog: { type: 'string', default: '5GiB' },
      consumers: { type: 'string', default: '8' },
      flush: { type: 'string', default: 'os' },
      restart: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const report = await runScale({
    partitions: Number(a.partitions),
    connections: Number(a.connections),
    rounds: Number(a.rounds),
    producers: Number(a.producers),
    produceSeconds: Number(a['produce-seconds']),
    backlogBytes: bytes.parse(a.backlog.replace(/i(?=b$)/i, '')) ?? 0,
    consumers: Number(a.consumers),
    flush: a.flush,
    restart: a.restart,
    dataDir: a['data-dir'],
    log: a.json ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.errors.length === 0 && report.rssMiB.peak <= 300 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
