/**
 * Drain benchmark: how fast `mq drain-backlog` empties a backlog on the embedded broker.
 *
 * 1. Fills N × S-byte messages (default 1,000,000 × 100 B) into a topic of P partitions (8) with
 *    mq's producer (`backlog fill`), and reports the fill rate.
 * 2. Drains all of it with 4 consumer threads and no work: drain rate = processed / drain time
 *    (from when every consumer has joined until lag 0 is seen and the threads have stopped), and
 *    the active rate (processed / time from the first message handled to the last).
 * 3. With --work 1ms per message, for 1, 2, 4, 8 (and 16) consumers, each in a fresh group reading
 *    the same backlog from its start for a fixed time (--timeout): the rate scales with consumers
 *    up to the partition count and no further.
 *
 *   node dist/bench/drain-bench.js [--messages 1000000] [--size 100] [--partitions 8]
 *        [--consumers 4] [--work-consumers 1,2,4,8,16] [--work-seconds 10] [--flush os] [--json]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createDriver } from '../src/drivers/index.js';
import { fillBacklog } from '../src/tools/backlog/fill.js';
import { withDrainDefaults } from '../src/tools/drain/options.js';
import type { DrainResult } from '../src/tools/drain/result.js';
import { runDrain } from '../src/tools/drain/service.js';
import { EmbeddedBroker } from '../src/tools/embedded-broker.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '8' },
    consumers: { type: 'string', default: '4' },
    'work-consumers': { type: 'string', default: '1,2,4,8,16' },
    'work-seconds': { type: 'string', default: '10' },
    flush: { type: 'string', default: 'os' },
    json: { type: 'boolean', default: false },
  },
});

interface Row {
  run: string;
  consumers: number;
  workMs: number;
  outcome: string;
  processed: number;
  seconds: number;
  startupSec: number;
  /** Processed since every consumer joined / drain time (end-of-drain detection included). */
  rate: number;
  /** Processed / time from the first message handled to the last. */
  active: number;
  timeInQueueP99Ms: number;
}

function row(run: string, r: DrainResult): Row {
  return {
    run,
    consumers: r.settings.consumers,
    workMs: r.settings.workMs,
    outcome: r.outcome,
    processed: r.counts.processed,
    seconds: r.durationSec,
    startupSec: r.startupSec,
    rate: r.rates.drain,
    active: r.rates.active,
    timeInQueueP99Ms: r.latencyMs.timeInQueue.p99,
  };
}

async function main(): Promise<void> {
  const messages = Number(args.messages);
  const size = Number(args.size);
  const partitions = Number(args.partitions);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const broker = await EmbeddedBroker.start({ flush: args.flush, defaultPartitions: partitions });
  const rows: Row[] = [];
  try {
    const brokers = broker.bootstrap;
    const driver = createDriver('mq', { brokers, clientId: 'drain-bench' });
    const fill = await fillBacklog(driver, { topic: 'backlog', messages, messageSize: size, partitions });
    await driver.close();
    log(`filled ${messages} × ${size} B in ${fill.seconds.toFixed(2)} s (${Math.round(fill.rate)} msg/s)`);
    const drain = (group: string, consumers: number, workMs: number, timeoutMs: number | null) =>
      runDrain(
        withDrainDefaults({
          driver: 'mq',
          brokers,
          topic: 'backlog',
          group,
          consumers,
          timeoutMs,
          processing: {
            workMicros: workMs * 1000,
            handlerFile: null,
            maxRetries: 0,
            retryBackoffMs: 0,
            dlqTopic: null,
          },
        }),
      );
    const full = await drain('bench-full', Number(args.consumers), 0, null);
    rows.push(row('no work, to lag 0', full));
    log(`drained with ${args.consumers} consumers: ${Math.round(full.rates.drain)} msg/s`);
    for (const n of args['work-consumers'].split(',').filter(Boolean).map(Number)) {
      const r = await drain(`bench-work-${n}`, n, 1, Number(args['work-seconds']) * 1000);
      rows.push(row(`--work 1ms, ${args['work-seconds']} s`, r));
      log(`--work 1ms, ${n} consumers: ${Math.round(r.rates.drain)} msg/s`);
    }
    const doc = {
      bench: 'drain',
      messages,
      messageSize: size,
      partitions,
      flush: args.flush,
      fill: { seconds: fill.seconds, rate: fill.rate },
      host: { cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version },
      rows,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else printTable(doc.fill, rows, doc.host.loadavg);
  } finally {
    await broker.close();
  }
}

function printTable(fill: { seconds: number; rate: number }, rows: Row[], load: number[]): void {
  const out = [
    `fill: ${Math.round(fill.rate).toLocaleString('en-US')} msg/s (${fill.seconds.toFixed(2)} s); load average ${load.map((l) => l.toFixed(1)).join(' ')}`,
    'run                      consumers  outcome   processed   seconds      msg/s  active msg/s  in-queue p99 ms',
  ];
  for (const r of rows) {
    out.push(
      [
        r.run.padEnd(24),
        String(r.consumers).padStart(9),
        r.outcome.padStart(9),
        r.processed.toLocaleString('en-US').padStart(11),
        r.seconds.toFixed(2).padStart(9),
        Math.round(r.rate).toLocaleString('en-US').padStart(10),
        Math.round(r.active).toLocaleString('en-US').padStart(13),
        r.timeInQueueP99Ms.toFixed(0).padStart(17),
      ].join(' '),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
