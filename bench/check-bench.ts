/**
 * Checker benchmark: how long `mq check` takes on a history of N events (default 10 000 000),
 * and how much memory it holds.
 *
 * The history is generated the way a verify-loss run writes one, in its least favourable shape
 * for the checker: one message per send (a `send` and an `ok` line each), consumer reads of a few
 * records, a commit after every read, a consumer crash with its redelivery, an acknowledged
 * tail lost in a broker crash, and a final drain of every partition. Generation is not timed; the
 * check is `checkHistoryFile`, exactly what `mq check FILE` runs.
 *
 * The check runs in a fresh process (so its peak memory is the checker's, not the generator's).
 *
 * Measured (Node 20, 2 vCPUs, other work running; defaults): 9,999,990 events — 3,996,801
 * messages, 617 MiB — checked in 6.7 s (7.3 s CPU), peak RSS 170 MiB (159 MiB before acked offsets
 * were kept per message); 1M events: 1.5 s CPU.
 *
 *   node dist/bench/check-bench.js [--events 10000000] [--producers 4] [--partitions 8]
 *        [--read-batch 4] [--drain-batch 500] [--file PATH] [--keep] [--json]
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkHistoryFile } from '../src/tools/verify/check-file.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    producers: { type: 'string', default: '4' },
    partitions: { type: 'string', default: '8' },
    'read-batch': { type: 'string', default: '4' },
    'drain-batch': { type: 'string', default: '500' },
    file: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Internal: only check this file (the child process of a run). */
    check: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const target = Number(args.events);
const P = Number(args.producers);
const K = Number(args.partitions);
const readBatch = Number(args['read-batch']);
const drainBatch = Number(args['drain-batch']);
const file = args.file ?? path.join(os.tmpdir(), `mq-check-bench-${process.pid}.jsonl`);

/** Buffered line writer (generation speed matters little, but 10M lines should not take minutes). */
class Out {
  private parts: string[] = [];
  private size = 0;
  lines = 0;
  constructor(private readonly fd: number) {}
  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    this.lines++;
    if (this.size > 4 << 20) this.flush();
  }
  flush(): void {
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function generate(): { lines: number; messages: number } {
  const fd = openSync(file, 'w');
  const out = new Out(fd);
  out.line(
    JSON.stringify({
      t: 'meta',
      v: 1,
      at: new Date(0).toISOString(),
      partitions: K,
      producers: P,
      consumers: 1,
      expect: 'at-least-once',
      idempotent: true,
    }),
  );
  out.line(`{"t":"assign","ts":0,"c":"c0","pts":[${Array.from({ length: K }, (_, i) => i).join(',')}]}`);
  // Per message: send + ok = 2 lines; per read batch: read + commit; then the drain reads it all.
  const perMessage = 2 + 2 / readBatch + 1 / drainBatch;
  const messages = Math.floor((target - 2) / perMessage);
  const logs: { p: number; s: number }[][] = Array.from({ length: K }, () => []);
  const seqs = new Array<number>(P).fill(0);
  const pending: number[][] = Array.from({ length: K }, () => []); // offsets not yet read by c0
  let ts = 0;
  let consumer = 'c0';
  const crashAt = Math.floor(messages / 2);
  const lossFrom = messages - 50;
  for (let m = 0; m < messages; m++) {
    const p = m % P;
    const pt = Math.floor(m / P) % K;
    const s = seqs[p]++;
    ts += 0.05;
    const t = Math.round(ts);
    out.line(`{"t":"send","ts":${t},"p":${p},"s":${s},"pt":${pt}}`);
    if (m >= lossFrom) {
      // The acknowledged tail a broker crash lost: never in the log.
      out.line(`{"t":"ok","ts":${t},"p":${p},"s":${s},"pt":${pt},"o":${logs[pt].length}}`);
      continue;
    }
    const o = logs[pt].length;
    logs[pt].push({ p, s });
    out.line(`{"t":"ok","ts":${t},"p":${p},"s":${s},"pt":${pt},"o":${o}}`);
    const q = pending[pt];
    q.push(o);
    if (q.length === readBatch) {
      const r = q.map((x) => `${x},${logs[pt][x].p},${logs[pt][x].s}`).join(',');
      out.line(`{"t":"read","ts":${t},"c":"${consumer}","pt":${pt},"r":[${r}]}`);
      if (m > crashAt && consumer === 'c0') {
        // Crash between processing and commit; the next consumer resumes at the last commit.
        out.line(`{"t":"fault","ts":${t},"kind":"consumer-crash","phase":"start","target":"c0"}`);
        consumer = 'c1';
        out.line(
          `{"t":"assign","ts":${t},"c":"c1","pts":[${Array.from({ length: K }, (_, i) => i).join(',')}]}`,
        );
        const again = q.map((x) => `${x},${logs[pt][x].p},${logs[pt][x].s}`).join(',');
        out.line(`{"t":"read","ts":${t},"c":"c1","pt":${pt},"r":[${again}]}`);
      }
      out.line(`{"t":"commit","ts":${t},"c":"${consumer}","pt":${pt},"o":${o + 1}}`);
      q.length = 0;
    }
  }
  // The final drain.
  for (let pt = 0; pt < K; pt++) {
    const log = logs[pt];
    for (let from = 0; from < log.length; from += drainBatch) {
      const r: string[] = [];
      for (let o = from; o < Math.min(log.length, from + drainBatch); o++)
        r.push(`${o},${log[o].p},${log[o].s}`);
      out.line(`{"t":"read","ts":${Math.round(ts)},"c":"drain","pt":${pt},"r":[${r.join(',')}]}`);
    }
    out.line(`{"t":"drain","ts":${Math.round(ts)},"pt":${pt},"end":${log.length},"reached":${log.length}}`);
  }
  out.line(`{"t":"end","ts":${Math.round(ts)}}`);
  out.flush();
  closeSync(fd);
  return { lines: out.lines, messages };
}

/** The check alone, in this process: time, CPU and the process's peak memory. */
async function checkOnly(path: string) {
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const report = await checkHistoryFile(path, {});
  const checkSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    checkSec: Number(checkSec.toFixed(2)),
    /** CPU time of the check: the figure to trust on a machine busy with other work. */
    cpuSec: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    found: { lost: report.anomalies.lost, redelivered: report.anomalies.redelivered, valid: report.valid },
  };
}

if (args.check) {
  console.log(JSON.stringify(await checkOnly(args.check)));
  process.exit(0);
}

const g0 = Date.now();
const { lines, messages } = generate();
const genSec = (Date.now() - g0) / 1000;
const bytes = statSync(file).size;
// A fresh process for the check, so its memory is the checker's and not the generator's.
const child = JSON.parse(
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--check', file], { encoding: 'utf8' }),
) as Awaited<ReturnType<typeof checkOnly>>;
if (!args.keep) rmSync(file, { force: true });

const result = {
  events: lines,
  messages,
  fileMB: Math.round(bytes / 2 ** 20),
  generateSec: Number(genSec.toFixed(1)),
  ...child,
  eventsPerSec: Math.round(lines / child.checkSec),
  loadAverage: Number(os.loadavg()[0].toFixed(1)),
  node: process.version,
  cpus: os.cpus().length,
};
if (args.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `${lines.toLocaleString()} events (${messages.toLocaleString()} messages, ${result.fileMB} MiB) checked in ` +
      `${result.checkSec} s (${result.cpuSec} s CPU, load ${result.loadAverage}) — ` +
      `${result.eventsPerSec.toLocaleString()} events/s, peak RSS of the checking process ${result.peakRssMB} MiB`,
  );
  console.log(
    `found: lost ${result.found.lost}, redelivered ${result.found.redelivered} (expected 50 and ${readBatch})`,
  );
}
