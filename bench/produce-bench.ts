/**
 * Broker produce benchmark: how many records per second `mq serve` accepts.
 *
 * The load is a minimal pipelined producer over mq's protocol code: each connection pre-encodes
 * one Produce v7 request per partition (one RecordBatch of ~batch-bytes) and keeps `inflight`
 * requests outstanding, so the figure is the broker's, not a client's. Every response is decoded
 * and checked for errors. The disk's sequential write bandwidth (dd with conv=fdatasync) is
 * measured in the same run, on the same file system as the broker's data dir.
 *
 *   node dist/bench/produce-bench.js [--seconds 5] [--partitions 8] [--connections 4]
 *        [--inflight 16] [--batch-bytes 16384] [--sizes 100,1024] [--flush os,sync] [--json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTopicsApi, encodeCreateTopicsRequest } from '../src/protocol/apis/create-topics.js';
import { decodeProduceResponse, encodeProduceRequest } from '../src/protocol/apis/produce.js';
import { encodeRequestHeader } from '../src/protocol/header.js';
import { Reader } from '../src/protocol/reader.js';
import { encodeRecordBatch } from '../src/protocol/records.js';
import { Writer } from '../src/protocol/writer.js';
import { EmbeddedBroker } from '../src/tools/embedded-broker.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '8' },
    connections: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '16' },
    'batch-bytes': { type: 'string', default: '16384' },
    sizes: { type: 'string', default: '100,1024' },
    flush: { type: 'string', default: 'os,sync' },
    'data-dir': { type: 'string' },
    /** Run against an already running broker (one flush policy, as that broker has it). */
    port: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

interface RunResult {
  recordBytes: number;
  flush: string;
  recordsPerBatch: number;
  seconds: number;
  records: number;
  msgsPerSec: number;
  payloadMBps: number;
  wireMBps: number;
  errors: number;
  /** dd bandwidth measured right before and after this run (sync runs only), MB/s. */
  diskMBps?: { before: number; after: number; mean: number };
  /** payloadMBps / diskMBps.mean */
  diskRatio?: number;
}

/** Frames one request; the correlation id goes in a 4-byte chunk of its own so the body is reused. */
function splitFrame(
  apiKey: number,
  version: number,
  body: (w: Writer) => void,
): { head: Buffer; tail: Buffer } {
  const w = new Writer(64 * 1024).frame();
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: 0, clientId: 'mq-bench' }, false);
  body(w);
  const frame = Buffer.concat(w.finishFrame());
  return { head: frame.subarray(0, 8), tail: frame.subarray(12) };
}

class PipelinedConnection {
  private buf = Buffer.alloc(0);
  private correlation = 0;
  outstanding = 0;
  onResponse: (frame: Buffer) => void = () => {};

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      let off = 0;
      while (this.buf.length - off >= 4) {
        const size = this.buf.readInt32BE(off);
        if (this.buf.length - off < 4 + size) break;
        const frame = this.buf.subarray(off + 4, off + 4 + size);
        off += 4 + size;
        this.outstanding--;
        this.onResponse(frame);
      }
      this.buf = this.buf.subarray(off);
    });
  }

  static open(port: number): Promise<PipelinedConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new PipelinedConnection(s)));
      s.once('error', reject);
    });
  }

  send(frame: { head: Buffer; tail: Buffer }): void {
    const corr = Buffer.allocUnsafe(4);
    corr.writeInt32BE(++this.correlation & 0x7fffffff);
    this.outstanding++;
    this.socket.cork();
    this.socket.write(frame.head);
    this.socket.write(corr);
    this.socket.write(frame.tail);
    this.socket.uncork();
  }

  close(): void {
    this.socket.destroy();
  }
}

async function createTopic(port: number, topic: string, partitions: number): Promise<void> {
  const conn = await PipelinedConnection.open(port);
  const done = new Promise<void>((resolve) => {
    conn.onResponse = () => resolve();
  });
  conn.send(
    splitFrame(CreateTopicsApi.key, 4, (w) =>
      encodeCreateTopicsRequest(w, 4, {
        topics: [
          { name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      }),
    ),
  );
  await done;
  conn.close();
}

async function runOne(recordBytes: number, flush: string, dataRoot: string): Promise<RunResult> {
  const partitions = Number(args.partitions);
  const batchBytes = Number(args['batch-bytes']);
  const connections = Number(args.connections);
  const inflight = Number(args.inflight);
  const dataDir = mkdtempSync(path.join(dataRoot, 'mq-bench-'));
  const broker = args.port ? null : await EmbeddedBroker.start({ flush, dataDir, logLevel: 'warn' });
  const port = broker ? broker.port : Number(args.port);
  try {
    const topic = `bench-${recordBytes}-${flush}`;
    await createTopic(port, topic, partitions);
    // 100 B value, no key, no headers: each record costs value + ~8 bytes of framing.
    const value = Buffer.alloc(recordBytes, 0x61);
    const perRecord = recordBytes + 8;
    const recordsPerBatch = Math.max(1, Math.floor((batchBytes - 61) / perRecord));
    const frames = Array.from({ length: partitions }, (_, p) => {
      const batch = encodeRecordBatch({
        records: Array.from({ length: recordsPerBatch }, () => ({ key: null, value })),
        compression: 'none',
      });
      return splitFrame(0, 7, (w) =>
        encodeProduceRequest(w, 7, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 30_000,
          topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }],
        }),
      );
    });
    const wireBytes = frames[0].head.length + 4 + frames[0].tail.length;

    let counting = false;
    let records = 0;
    let errors = 0;
    let stop = false;
    const conns = await Promise.all(
      Array.from({ length: connections }, () => PipelinedConnection.open(port)),
    );
    let drained = 0;
    const allDrained = new Promise<void>((resolve) => {
      conns.forEach((c, i) => {
        let next = i % partitions;
        c.onResponse = (frame) => {
          const r = new Reader(frame);
          r.int32();
          const res = decodeProduceResponse(r, 7);
          const code = res.responses[0].partitionResponses[0].errorCode;
          if (code !== 0) errors++;
          else if (counting) records += recordsPerBatch;
          if (!stop) {
            c.send(frames[next]);
            next = (next + 1) % partitions;
          } else if (c.outstanding === 0 && ++drained === conns.length) resolve();
        };
        for (let k = 0; k < inflight; k++) {
          c.send(frames[next]);
          next = (next + 1) % partitions;
        }
      });
    });
    await new Promise((r) => setTimeout(r, Number(args.warmup) * 1000));
    counting = true;
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, Number(args.seconds) * 1000));
    counting = false;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    stop = true;
    await allDrained;
    for (const c of conns) c.close();
    const msgsPerSec = records / seconds;
    return {
      recordBytes,
      flush,
      recordsPerBatch,
      seconds,
      records,
      msgsPerSec,
      payloadMBps: (msgsPerSec * recordBytes) / 1e6,
      wireMBps: ((records / recordsPerBatch) * wireBytes) / seconds / 1e6,
      errors,
    };
  } finally {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Sequential write bandwidth with dd: 1 GiB in 1 MiB blocks, fdatasync'd before dd exits. */
function diskBandwidthMBps(dir: string): number {
  const file = path.join(dir, 'dd-bench.tmp');
  try {
    const t0 = process.hrtime.bigint();
    execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=1024', 'conv=fdatasync'], {
      stdio: 'ignore',
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return (1024 * 1.048576) / seconds;
  } finally {
    rmSync(file, { force: true });
  }
}

async function main(): Promise<void> {
  const dataRoot = args['data-dir'] ?? os.tmpdir();
  const sizes = args.sizes.split(',').map(Number);
  const flushes = args.flush.split(',');
  const results: RunResult[] = [];
  const disk = diskBandwidthMBps(dataRoot);
  for (const flush of flushes) {
    for (const size of sizes) {
      const before = flush === 'sync' ? diskBandwidthMBps(dataRoot) : 0;
      const r = await runOne(size, flush, dataRoot);
      if (flush === 'sync') {
        const after = diskBandwidthMBps(dataRoot);
        const mean = (before + after) / 2;
        r.diskMBps = { before, after, mean };
        r.diskRatio = r.payloadMBps / mean;
      }
      results.push(r);
      if (!args.json) {
        console.log(
          `flush=${flush.padEnd(6)} record=${String(size).padStart(5)} B  batch=${r.recordsPerBatch} rec  ` +
            `${Math.round(r.msgsPerSec).toLocaleString('en-US').padStart(11)} msg/s  ` +
            `${r.payloadMBps.toFixed(1).padStart(7)} MB/s payload  ${r.wireMBps.toFixed(1).padStart(7)} MB/s wire  errors=${r.errors}` +
            (r.diskMBps
              ? `  disk ${r.diskMBps.before.toFixed(0)}/${r.diskMBps.after.toFixed(0)} MB/s → ${(100 * r.diskRatio!).toFixed(0)}% of disk`
              : ''),
        );
      }
    }
  }
  const diskAfter = diskBandwidthMBps(dataRoot);
  const summary = {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    settings: {
      partitions: Number(args.partitions),
      connections: Number(args.connections),
      inflight: Number(args.inflight),
      batchBytes: Number(args['batch-bytes']),
      seconds: Number(args.seconds),
    },
    diskSeqWriteMBps: { before: disk, after: diskAfter },
    results,
  };
  if (args.json) console.log(JSON.stringify(summary, null, 2));
  else
    console.log(
      `disk sequential write (dd 1 GiB, conv=fdatasync): ${disk.toFixed(0)} MB/s before, ${diskAfter.toFixed(0)} MB/s after`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
