/**
 * Crash torture for `mq serve`: cycles of produce + consume + commit against a broker that is
 * killed with SIGKILL at a random moment, restarted on the same data dir, and checked.
 *
 * Per cycle: producers (one connection each) send batches of uniquely stamped records (acks=-1)
 * to random partitions; a consumer fetches every partition from its position, checks every
 * batch it is served (CRC-32C, magic, record count) and every record it already knows, and
 * commits its positions (OffsetCommit, standalone group). After a random delay the broker gets
 * SIGKILL, mid-whatever. After the restart, before new load:
 *
 *   - every acknowledged record is at the offset its ack named, with its stamp (else: lost);
 *   - every partition's committed offset is at least the last acknowledged commit (else: lost);
 *   - every batch served passes its CRC (else: corrupt).
 *
 * A last restart re-reads every partition from offset 0. With flush `sync` all three counts
 * must be 0. Recovery's own account (segments truncated, tails cut) is counted from its log.
 *
 *   node dist/bench/torture.js [--cycles 100] [--seed N] [--partitions 4] [--producers 4]
 *        [--kill-after 100-1500] [--segment-bytes 1MiB] [--flush sync] [--json]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ErrorCode } from '../src/protocol/errors.js';
import { validateBatch } from '../src/protocol/record-batch.js';
import { decodeRecords, encodeRecordBatch } from '../src/protocol/records.js';
import { EmbeddedBroker } from '../src/tools/embedded-broker.js';
import { WireClient } from './hardening/wire-client.js';
import { commitOffset, committedOffset, createTopic, fetch, produce } from './hardening/wire-ops.js';

export interface TortureOptions {
  cycles: number;
  seed: number;
  partitions: number;
  producers: number;
  /** SIGKILL this long after the load starts: uniform in [min, max] ms. */
  killAfterMs: [number, number];
  /** Small segments, so kills land around rolls too. */
  segmentBytes: string;
  flush: string;
  /** Record value size in bytes (the stamp is at its start). */
  valueBytes: number;
  dataDir?: string;
  log?: (line: string) => void;
}

export interface TortureReport {
  flush: string;
  seed: number;
  cycles: number;
  seconds: number;
  partitions: number;
  producers: number;
  /** Records whose produce was acknowledged, and in how many batches. */
  ackedRecords: number;
  ackedBatches: number;
  /** Acknowledged records missing or different after a restart. Must be 0 under flush sync. */
  lostAcked: number;
  /** Commits acknowledged, and partitions found behind their last acknowledged commit after a restart. */
  ackedCommits: number;
  lostCommits: number;
  /** Batches the broker served (consumer and checks), and those failing validation. */
  batchesServed: number;
  corruptBatches: number;
  /** Records the log holds whose produce was never acknowledged (written before the kill, in doubt). */
  inDoubtKept: number;
  /** Recovery log lines: segment tails truncated, segments deleted, offsets-log tails cut. */
  recoveryCuts: number;
  restartMs: { p50: number; max: number };
  /** First problems found, for the report. */
  problems: string[];
}

const TOPIC = 'torture';
const GROUP = 'torture-group';

/** mulberry32: small, seeded, good enough to pick partitions and kill moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stamp(producer: number, seq: number): string {
  return `p${producer}-${seq}`;
}

class Ledger {
  /** Per partition: offset -> stamp of every acknowledged record. */
  readonly acked: Map<number, string>[];
  /** Per partition: offsets below this were checked against the log after a restart. */
  readonly checkedUpTo: number[];
  readonly lastAckedCommit: number[];
  /** Consumer position per partition. */
  readonly position: number[];
  report: TortureReport;

  constructor(partitions: number, report: TortureReport) {
    this.acked = Array.from({ length: partitions }, () => new Map());
    this.checkedUpTo = new Array(partitions).fill(0);
    this.lastAckedCommit = new Array(partitions).fill(-1);
    this.position = new Array(partitions).fill(0);
    this.report = report;
  }

  problem(what: string): void {
    if (this.report.problems.length < 20) this.report.problems.push(what);
  }
}

/** Validates each whole batch of a fetch response; returns the records of the valid ones. */
function servedRecords(ledger: Ledger, records: Buffer | null): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  if (!records) return out;
  let pos = 0;
  while (records.length - pos >= 12) {
    const size = 12 + records.readInt32BE(pos + 8);
    if (size > records.length - pos) break; // a partial trailing batch is allowed by the protocol
    ledger.report.batchesServed++;
    const invalid = validateBatch(records, pos, pos + size);
    if (invalid !== null) {
      ledger.report.corruptBatches++;
      ledger.problem(`corrupt batch served: ${invalid}`);
      break;
    }
    for (const b of decodeRecords(records.subarray(pos, pos + size))) {
      for (const r of b.records)
        out.push({ offset: r.offset, value: r.value?.subarray(0, 24).toString().split(' ')[0] ?? '' });
    }
    pos += size;
  }
  return out;
}

/** Produce loop of one producer until the connection dies or `stop` is set. */
async function producerLoop(
  port: number,
  id: number,
  opts: TortureOptions,
  ledger: Ledger,
  rnd: () => number,
  stop: { now: boolean },
): Promise<void> {
  let c: WireClient;
  try {
    c = await WireClient.connect(port);
  } catch {
    return;
  }
  let seq = 0;
  const pad = Buffer.alloc(Math.max(0, opts.valueBytes - 24), 0x2e);
  try {
    while (!stop.now && !c.closed) {
      const partition = Math.floor(rnd() * opts.partitions);
      const count = 1 + Math.floor(rnd() * 8);
      const stamps = Array.from({ length: count }, () => stamp(id, seq++));
      const batch = encodeRecordBatch({
        records: stamps.map((s) => ({
          key: null,
          value: Buffer.concat([Buffer.from(`${s} `), pad]),
          headers: [],
        })),
        compression: 'none',
      });
      const res = await produce(c, TOPIC, partition, batch, -1, 10_000);
      if (res.errorCode !== ErrorCode.NONE) {
        ledger.problem(`produce answered ${res.errorCode}`);
        continue;
      }
      ledger.report.ackedBatches++;
      ledger.report.ackedRecords += count;
      const acked = ledger.acked[partition];
      for (let i = 0; i < count; i++) acked.set(res.baseOffset + i, stamps[i]);
    }
  } catch {
    // the kill: whatever was in flight is in doubt
  } finally {
    c.close();
  }
}

/** Consume-and-commit loop until the connection dies or `stop` is set. */
async function consumerLoop(
  port: number,
  opts: TortureOptions,
  ledger: Ledger,
  stop: { now: boolean },
): Promise<void> {
  let c: WireClient;
  try {
    c = await WireClient.connect(port);
  } catch {
    return;
  }
  try {
    for (let round = 0; !stop.now && !c.closed; round++) {
      for (let p = 0; p < opts.partitions; p++) {
        const res = await fetch(c, TOPIC, [{ partition: p, offset: ledger.position[p] }], {
          maxWaitMs: 20,
          maxBytes: 1 << 20,
          partitionMaxBytes: 1 << 20,
          timeoutMs: 10_000,
        });
        const part = res.responses[0].partitions[0];
        if (part.errorCode !== ErrorCode.NONE) {
          ledger.problem(`fetch p${p}@${ledger.position[p]} answered ${part.errorCode}`);
          continue;
        }
        for (const r of servedRecords(ledger, part.records)) {
          if (r.offset < ledger.position[p]) continue;
          const known = ledger.acked[p].get(r.offset);
          if (known !== undefined && known !== r.value) {
            ledger.problem(`p${p}@${r.offset}: served ${r.value}, acked ${known}`);
          }
          ledger.position[p] = r.offset + 1;
        }
      }
      if (round % 3 === 2) {
        for (let p = 0; p < opts.partitions; p++) {
          const at = ledger.position[p];
          if ((await commitOffset(c, GROUP, TOPIC, p, at, 10_000)) === ErrorCode.NONE) {
            ledger.report.ackedCommits++;
            ledger.lastAckedCommit[p] = Math.max(ledger.lastAckedCommit[p], at);
          }
        }
      }
    }
  } catch {
    // the kill
  } finally {
    c.close();
  }
}

/**
 * After a restart: every acknowledged record at or above checkedUpTo is in the log at its offset
 * with its stamp, committed offsets did not go back, every batch read passes validation.
 */
async function check(
  port: number,
  opts: TortureOptions,
  ledger: Ledger,
  from: 'checked' | 'zero',
): Promise<void> {
  const c = await WireClient.connect(port);
  try {
    for (let p = 0; p < opts.partitions; p++) {
      const start = from === 'zero' ? 0 : ledger.checkedUpTo[p];
      const inLog = new Map<number, string>();
      let offset = start;
      let end = start;
      for (let guard = 0; guard < 1_000_000; guard++) {
        const res = await fetch(c, TOPIC, [{ partition: p, offset }], {
          maxBytes: 4 << 20,
          partitionMaxBytes: 4 << 20,
          timeoutMs: 30_000,
        });
        const part = res.responses[0].partitions[0];
        if (part.errorCode !== ErrorCode.NONE) {
          ledger.problem(`check fetch p${p}@${offset} answered ${part.errorCode}`);
          break;
        }
        end = part.highWatermark;
        const records = servedRecords(ledger, part.records);
        if (records.length === 0) break;
        for (const r of records) if (r.offset >= offset) inLog.set(r.offset, r.value);
        offset = records[records.length - 1].offset + 1;
      }
      for (const [o, s] of ledger.acked[p]) {
        if (o < start) continue;
        const found = inLog.get(o);
        if (found !== s) {
          ledger.report.lostAcked++;
          ledger.problem(`p${p}@${o}: acked ${s}, found ${found ?? 'nothing'} (log end ${end})`);
          ledger.acked[p].delete(o); // counted once; a later record may take the offset
        }
      }
      if (from === 'zero') for (const [o] of inLog) if (!ledger.acked[p].has(o)) ledger.report.inDoubtKept++;
      ledger.checkedUpTo[p] = Math.max(ledger.checkedUpTo[p], end);
      const committed = await committedOffset(c, GROUP, TOPIC, p);
      if (committed < ledger.lastAckedCommit[p]) {
        ledger.report.lostCommits++;
        ledger.problem(
          `p${p}: committed ${committed}, last acknowledged commit ${ledger.lastAckedCommit[p]}`,
        );
      }
      // Resume where the group committed, as a consumer would; re-reading is checked like reading.
      ledger.position[p] = Math.max(0, committed);
    }
  } finally {
    c.close();
  }
}

function countRecoveryCuts(stderr: string, pid: number | undefined): number {
  let n = 0;
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{') || !line.includes(`"pid":${pid}`)) continue;
    if (/truncated the invalid tail|deleting a segment after the invalid tail|cut an invalid tail/.test(line))
      n++;
  }
  return n;
}

export async function runTorture(opts: TortureOptions): Promise<TortureReport> {
  const report: TortureReport = {
    flush: opts.flush,
    seed: opts.seed,
    cycles: 0,
    seconds: 0,
    partitions: opts.partitions,
    producers: opts.producers,
    ackedRecords: 0,
    ackedBatches: 0,
    lostAcked: 0,
    ackedCommits: 0,
    lostCommits: 0,
    batchesServed: 0,
    corruptBatches: 0,
    inDoubtKept: 0,
    recoveryCuts: 0,
    restartMs: { p50: 0, max: 0 },
    problems: [],
  };
  const ledger = new Ledger(opts.partitions, report);
  const rnd = prng(opts.seed);
  const started = Date.now();
  const restarts: number[] = [];
  const broker = await EmbeddedBroker.start({
    dataDir: opts.dataDir,
    flush: opts.flush,
    logLevel: 'warn',
    extraArgs: ['--segment-bytes', opts.segmentBytes],
  });
  try {
    const setup = await WireClient.connect(broker.port);
    await createTopic(setup, TOPIC, opts.partitions);
    setup.close();
    for (let cycle = 0; cycle < opts.cycles; cycle++) {
      const stop = { now: false };
      const loops = [
        ...Array.from({ length: opts.producers }, (_, i) =>
          producerLoop(broker.port, i + cycle * 1000, opts, ledger, prng(opts.seed + cycle * 7919 + i), stop),
        ),
        consumerLoop(broker.port, opts, ledger, stop),
      ];
      const [min, max] = opts.killAfterMs;
      await new Promise((r) => setTimeout(r, min + rnd() * (max - min)));
      await broker.kill();
      stop.now = true;
      await Promise.all(loops);
      const t0 = Date.now();
      await broker.restart();
      restarts.push(Date.now() - t0);
      report.recoveryCuts += countRecoveryCuts(broker.stderr, broker.pid);
      await check(broker.port, opts, ledger, 'checked');
      report.cycles++;
      opts.log?.(
        `cycle ${cycle + 1}/${opts.cycles}: acked ${report.ackedRecords} records, ${report.ackedCommits} commits; lost ${report.lostAcked} / ${report.lostCommits}; corrupt ${report.corruptBatches}`,
      );
    }
    // The final account: a clean restart, then every partition from offset 0.
    await broker.stop();
    await broker.restart();
    await check(broker.port, opts, ledger, 'zero');
  } finally {
    await broker.close();
  }
  restarts.sort((a, b) => a - b);
  report.restartMs = {
    p50: restarts[Math.floor(restarts.length / 2)] ?? 0,
    max: restarts[restarts.length - 1] ?? 0,
  };
  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  return report;
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      cycles: { type: 'string', default: '100' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      partitions: { type: 'string', default: '4' },
      producers: { type: 'string', default: '4' },
      'kill-after': { type: 'string', default: '100-1500' },
      'segment-bytes': { type: 'string', default: '1MiB' },
      'value-bytes': { type: 'string', default: '100' },
      flush: { type: 'string', default: 'sync' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [min, max] = a['kill-after'].split('-').map(Number);
  const report = await runTorture({
    cycles: Number(a.cycles),
    seed: Number(a.seed),
    partitions: Number(a.partitions),
    producers: Number(a.producers),
    killAfterMs: [min, max ?? min],
    segmentBytes: a['segment-bytes'],
    valueBytes: Number(a['value-bytes']),
    flush: a.flush,
    dataDir: a['data-dir'],
    log: a.json ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const clean = report.lostAcked === 0 && report.lostCommits === 0 && report.corruptBatches === 0;
  process.exitCode = clean || !a.flush.startsWith('sync') ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
