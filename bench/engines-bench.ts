/**
 * Engine comparison, one session, one workload: mq serve (flush os, flush sync) vs Redis Streams
 * (AOF, appendfsync everysec) vs RabbitMQ (durable classic queues, publisher confirms, manual
 * acks), each driven by `mq bench` (runBench: piscina producer and consumer threads) with the
 * same workload: 1 topic × <partitions>, 1 producer, 1 subscription × 1 consumer, unkeyed.
 *
 * Per engine and message size, two runs:
 *   max   — `--rate max`: acknowledged publish rate and consume rate (msg/s, MB/s);
 *   fixed — `--rate <rate>` (one rate every engine sustains): end-to-end p50 / p99 / p99.9 from
 *           the intended send time, so latency is compared without a backlog in it.
 * Redis and RabbitMQ are started here on free loopback ports (src/tools/peers) unless their URLs
 * are given; mq serve is the embedded broker runBench starts per run.
 *
 *   npm run build && node dist/bench/engines-bench.js [--seconds 10] [--warmup 3]
 *     [--sizes 100,1024] [--rate 5000] [--partitions 4] [--engines mq-os,mq-sync,redis,rabbitmq]
 *     [--redis-url redis://...] [--rabbitmq-url amqp://...] [--out dir] [--json]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchResult } from '../src/tools/bench/result.js';
import { runBench } from '../src/tools/bench/service.js';
import { resolveWorkload } from '../src/tools/bench/workload.js';
import { type Peer, startPeer } from '../src/tools/peers/index.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '100,1024' },
    rate: { type: 'string', default: '5000' },
    partitions: { type: 'string', default: '4' },
    engines: { type: 'string', default: 'mq-os,mq-sync,redis,rabbitmq' },
    'redis-url': { type: 'string' },
    'rabbitmq-url': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

interface Engine {
  name: string;
  label: string;
  driver: string;
  brokers?: string;
  brokerFlush?: string;
}

interface Row {
  engine: string;
  label: string;
  messageSize: number;
  maxRate: { publish: number; consume: number; publishMBps: number; errors: number };
  fixedRate: { rate: number; achieved: number; e2e: { p50: number; p99: number; p999: number } | null };
  warnings: string[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function bench(e: Engine, size: number, rate: string): Promise<BenchResult> {
  const workload = resolveWorkload({
    flags: {
      name: `engines-${e.name}-${size}B-${rate}`,
      topics: 1,
      partitionsPerTopic: Number(args.partitions),
      messageSize: size,
      producersPerTopic: 1,
      subscriptionsPerTopic: 1,
      consumerPerSubscription: 1,
      producerRate: rate === 'max' ? 'max' : Number(rate),
      testDurationMinutes: Number(args.seconds) / 60,
      warmupDurationMinutes: Number(args.warmup) / 60,
    },
  });
  const { result } = await runBench({
    workload,
    driver: e.driver,
    brokers: e.brokers,
    brokerFlush: e.brokerFlush,
    drainTimeoutMs: 60_000,
    onLog: log,
  });
  if (args.out) {
    const dir = path.join(args.out, `${e.name}-${size}B-${rate}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}

function table(rows: Row[], rate: number): string {
  const f = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `| engine | size | max publish msg/s | MB/s | consume msg/s | mq os ÷ this | e2e p50 / p99 / p99.9 ms @ ${f(rate)} msg/s |`,
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const mqOs = rows.find((x) => x.engine === 'mq-os' && x.messageSize === r.messageSize);
    const ratio = mqOs ? `${f(mqOs.maxRate.publish / r.maxRate.publish, 1)}×` : '';
    const e = r.fixedRate.e2e;
    lines.push(
      `| ${r.label} | ${r.messageSize} B | ${f(r.maxRate.publish)} | ${f(r.maxRate.publishMBps, 1)} | ${f(r.maxRate.consume)} | ${ratio} | ${e ? `${f(e.p50, 2)} / ${f(e.p99, 2)} / ${f(e.p999, 2)}` : 'n/a'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const wanted = args.engines.split(',').map((s) => s.trim());
  const peers: Peer[] = [];
  try {
    const engines: Engine[] = [];
    for (const name of wanted) {
      if (name === 'mq-os' || name === 'mq-sync') {
        const flush = name.slice(3);
        engines.push({ name, label: `mq serve (flush ${flush})`, driver: 'mq', brokerFlush: flush });
      } else if (name === 'redis') {
        let url = args['redis-url'];
        if (!url) {
          const p = await startPeer('redis');
          peers.push(p);
          url = p.url;
          log(`redis-server on ${url} (appendonly yes, appendfsync everysec)`);
        }
        engines.push({ name, label: 'Redis Streams (AOF everysec)', driver: 'redis', brokers: url });
      } else if (name === 'rabbitmq') {
        let url = args['rabbitmq-url'];
        if (!url) {
          const p = await startPeer('rabbitmq');
          peers.push(p);
          url = p.url;
          log(`rabbitmq-server on ${url}`);
        }
        engines.push({
          name,
          label: 'RabbitMQ (classic durable, confirms, manual ack)',
          driver: 'rabbitmq',
          brokers: url,
        });
      } else throw new Error(`unknown engine ${name} (mq-os, mq-sync, redis, rabbitmq)`);
    }
    const rows: Row[] = [];
    for (const size of args.sizes.split(',').map(Number)) {
      for (const e of engines) {
        log(`== ${e.label}, ${size} B: max rate`);
        const max = await bench(e, size, 'max');
        log(`== ${e.label}, ${size} B: ${args.rate} msg/s`);
        const fixed = await bench(e, size, args.rate);
        const e2e = fixed.summary.endToEnd;
        rows.push({
          engine: e.name,
          label: e.label,
          messageSize: size,
          maxRate: {
            publish: max.summary.publish.rate,
            consume: max.summary.consume?.rate ?? 0,
            publishMBps: max.summary.publish.mbps,
            errors: max.totals.errors,
          },
          fixedRate: {
            rate: Number(args.rate),
            achieved: fixed.summary.publish.rate,
            e2e: e2e ? { p50: e2e.p50, p99: e2e.p99, p999: e2e.p999 } : null,
          },
          warnings: [...max.warnings, ...fixed.warnings],
        });
      }
    }
    const settings = {
      seconds: Number(args.seconds),
      warmup: Number(args.warmup),
      partitions: Number(args.partitions),
      rate: Number(args.rate),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
    };
    if (args.json) process.stdout.write(`${JSON.stringify({ settings, rows }, null, 2)}\n`);
    else {
      process.stdout.write(`${table(rows, Number(args.rate))}\n\n`);
      process.stdout.write(`settings: ${JSON.stringify(settings)}\n`);
      for (const r of rows) {
        for (const w of r.warnings) process.stdout.write(`warning (${r.label}, ${r.messageSize} B): ${w}\n`);
      }
    }
  } finally {
    for (const p of peers) await p.close().catch(() => {});
  }
}

await main();
