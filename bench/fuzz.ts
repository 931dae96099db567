/**
 * Protocol fuzzer for `mq serve`: every (api, version) the broker advertises in ApiVersions gets
 * valid, mutated, random, bad-header and lying-length frames (bench/hardening/fuzz-cases.ts),
 * spread over a few concurrent connections. After each case a probe (ApiVersions v0) follows on
 * the same connection, so every case is known to have been handled before the next one:
 *
 *   answered    the case got a response, then the probe did;
 *   no-response the probe was answered but the case was not (acks=0 produce);
 *   closed      the broker closed the connection (a frame it could not decode); reconnect;
 *   parked      neither within --case-timeout (a long poll or a join waiting for others); the
 *               connection is dropped.
 *
 * Every response frame must carry the case's correlation id, come before the probe's, and
 * decode completely as the response of the (api, version) asked (or as UNSUPPORTED_VERSION).
 * Every --health-every cases a fresh connection must get ApiVersions answered. Lying-length
 * frames are the last on their connection.
 *
 *   node dist/bench/fuzz.js [--cases 1000000] [--seed 1] [--connections 8] [--port N] [--json]
 *
 * Without --port it starts a broker (flush os, log level error) and checks afterwards that the
 * process is alive, its stderr clean, and a produce/fetch round trip works.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import type { ApiSpec } from '../src/protocol/apis/api.js';
import { isFlexible } from '../src/protocol/apis/api.js';
import {
  ApiVersionsApi,
  decodeApiVersionsResponse,
  encodeApiVersionsRequest,
} from '../src/protocol/apis/api-versions.js';
import { decodeCreateTopicsResponse } from '../src/protocol/apis/create-topics.js';
import { decodeDeleteTopicsResponse } from '../src/protocol/apis/delete-topics.js';
import { decodeDescribeGroupsResponse } from '../src/protocol/apis/describe-groups.js';
import { decodeFetchResponse } from '../src/protocol/apis/fetch.js';
import { decodeFindCoordinatorResponse } from '../src/protocol/apis/find-coordinator.js';
import { GROUP_APIS } from '../src/protocol/apis/group-apis.js';
import { decodeHeartbeatResponse } from '../src/protocol/apis/heartbeat.js';
import { decodeInitProducerIdResponse } from '../src/protocol/apis/init-producer-id.js';
import { decodeJoinGroupResponse } from '../src/protocol/apis/join-group.js';
import { decodeLeaveGroupResponse } from '../src/protocol/apis/leave-group.js';
import { decodeListGroupsResponse } from '../src/protocol/apis/list-groups.js';
import { decodeListOffsetsResponse } from '../src/protocol/apis/list-offsets.js';
import { decodeMetadataResponse } from '../src/protocol/apis/metadata.js';
import { decodeOffsetCommitResponse } from '../src/protocol/apis/offset-commit.js';
import { decodeOffsetFetchResponse } from '../src/protocol/apis/offset-fetch.js';
import { decodeProduceRequest, decodeProduceResponse } from '../src/protocol/apis/produce.js';
import { decodeSyncGroupResponse } from '../src/protocol/apis/sync-group.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { decodeRequestHeader } from '../src/protocol/header.js';
import { BROKER_APIS } from '../src/protocol/index.js';
import { Reader } from '../src/protocol/reader.js';
import { encodeRecordBatch } from '../src/protocol/records.js';
import { EmbeddedBroker } from '../src/tools/embedded-broker.js';
import { type ApiRange, type CaseKind, caseArb, FUZZ_TOPIC, type FuzzCase } from './hardening/fuzz-cases.js';
import { isAlive } from './hardening/proc.js';
import { WireClient } from './hardening/wire-client.js';
import { createTopic, fetch, produce } from './hardening/wire-ops.js';

export interface FuzzOptions {
  port: number;
  cases: number;
  seed: number;
  /** Connections fuzzed at once. */
  connections: number;
  /** How long a case may go unanswered before it counts as parked. */
  caseTimeoutMs: number;
  /** Cases between two health checks. */
  healthEvery: number;
  /** The broker's pid, checked at every health check when given. */
  pid?: number;
  onProgress?: (report: FuzzReport) => void;
}

export type Outcome = 'answered' | 'no-response' | 'closed' | 'parked' | 'sent-last';

export interface FuzzReport {
  seed: number;
  cases: number;
  seconds: number;
  casesPerSecond: number;
  /** (api, version) pairs the broker advertised; every one of them was fuzzed. */
  pairs: number;
  perPair: Record<string, number>;
  byKind: Record<CaseKind, number>;
  outcomes: Record<Outcome, number>;
  connectionsOpened: number;
  healthChecks: number;
  /** Protocol violations and failed health checks (first 50), with the case's bytes in hex. */
  violations: string[];
}

type Decoder = (r: Reader, version: number) => unknown;
const RESPONSE_DECODERS: Record<number, Decoder> = {
  0: decodeProduceResponse,
  1: decodeFetchResponse,
  2: decodeListOffsetsResponse,
  3: decodeMetadataResponse,
  8: decodeOffsetCommitResponse,
  9: decodeOffsetFetchResponse,
  10: decodeFindCoordinatorResponse,
  11: decodeJoinGroupResponse,
  12: decodeHeartbeatResponse,
  13: decodeLeaveGroupResponse,
  14: decodeSyncGroupResponse,
  15: decodeDescribeGroupsResponse,
  16: decodeListGroupsResponse,
  18: decodeApiVersionsResponse,
  19: decodeCreateTopicsResponse,
  20: decodeDeleteTopicsResponse,
  22: decodeInitProducerIdResponse,
};

const PROBE_BASE = 0x7f000000;
const CHUNK = 500;
/** Cases sent back to back on one connection before waiting for their probes. */
const BATCH = 16;

/** The (api, version) table the broker advertises, with where each API's flexible versions start. */
export async function advertisedApis(
  port: number,
): Promise<{ ranges: ApiRange[]; specs: Map<number, ApiSpec> }> {
  const specs = new Map<number, ApiSpec>([...BROKER_APIS, ...GROUP_APIS].map((s) => [s.key, s]));
  const c = await WireClient.connect(port);
  try {
    const res = await c.request(
      ApiVersionsApi,
      3,
      (w) => encodeApiVersionsRequest(w, 3, { clientSoftwareName: 'mq-fuzz', clientSoftwareVersion: '1' }),
      decodeApiVersionsResponse,
    );
    const ranges = res.apiKeys.map((k) => ({
      apiKey: k.apiKey,
      minVersion: k.minVersion,
      maxVersion: k.maxVersion,
    }));
    for (const r of ranges)
      if (!specs.has(r.apiKey)) throw new Error(`broker advertises api ${r.apiKey}, unknown here`);
    return { ranges, specs };
  } finally {
    c.close();
  }
}

/** Cases [chunk * CHUNK, (chunk + 1) * CHUNK) of the run: one seeded sample, so a run is reproducible. */
function chunkOfCases(seed: number, chunk: number, arbs: fc.Arbitrary<FuzzCase>[]): FuzzCase[] {
  // noBias: every (api, version) pair gets about the same share of the cases.
  const arb = fc.noBias(fc.integer({ min: 0, max: arbs.length - 1 })).chain((i) => arbs[i]);
  return fc.sample(arb, { seed: seed + chunk, numRuns: CHUNK });
}

/** ApiVersions v0, the probe that follows every case; its correlation id is patched per use. */
const PROBE = WireClient.frame(ApiVersionsApi, 0, 0, (w) =>
  encodeApiVersionsRequest(w, 0, { clientSoftwareName: '', clientSoftwareVersion: '' }),
);

function probeFrame(id: number): Buffer {
  const b = Buffer.from(PROBE);
  b.writeInt32BE(id, 8);
  return b;
}

/** Frames the connection gets until every probe in `probes` is answered, it closes, or timeoutMs pass. */
function collect(conn: WireClient, probes: Set<number>, timeoutMs: number): Promise<Buffer[]> {
  return new Promise((resolve) => {
    let left = probes.size;
    const done = () => {
      clearTimeout(timer);
      conn.onUnmatched = null;
      resolve(conn.unmatched.splice(0));
    };
    const timer = setTimeout(done, timeoutMs);
    conn.onUnmatched = () => {
      const f = conn.unmatched[conn.unmatched.length - 1];
      if (f.length >= 4 && probes.has(f.readInt32BE(0)) && --left === 0) done();
    };
    conn.whenClosed.then(done);
  });
}

function hex(b: Buffer): string {
  return b.length > 256 ? `${b.subarray(0, 256).toString('hex')}...(${b.length} bytes)` : b.toString('hex');
}

/** Checks the frames a case got back; returns what was wrong, or null. */
function checkResponses(
  c: FuzzCase,
  frames: Buffer[],
  specs: Map<number, ApiSpec>,
  ranges: Map<number, ApiRange>,
): string | null {
  if (frames.length === 0) return null;
  if (frames.length > 1) return `${frames.length} responses to one request`;
  if (c.bytes.length < 12) return 'a response to a frame too short for a header';
  const correlationId = c.bytes.readInt32BE(8);
  const apiKey = c.bytes.readInt16BE(4);
  const version = c.bytes.readInt16BE(6);
  const frame = frames[0];
  const r = new Reader(frame);
  const got = r.int32();
  if (got !== correlationId) return `correlation id ${got}, expected ${correlationId}`;
  const spec = specs.get(apiKey);
  const range = ranges.get(apiKey);
  const supported = spec && range && version >= range.minVersion && version <= range.maxVersion;
  try {
    if (!supported) {
      if (apiKey === 18) decodeApiVersionsResponse(r, 0);
      else if (r.int16() !== ErrorCode.UNSUPPORTED_VERSION)
        return 'unsupported request not answered UNSUPPORTED_VERSION';
    } else {
      if (isFlexible(spec, version) && apiKey !== 18) r.taggedFields();
      RESPONSE_DECODERS[apiKey](r, version);
    }
  } catch (err) {
    return `response does not decode: ${(err as Error).message}`;
  }
  if (r.remaining !== 0) return `${r.remaining} bytes left after decoding the response`;
  return null;
}

/** Only Produce with acks=0 gets no response. */
function isAcksZeroProduce(c: FuzzCase): boolean {
  try {
    const r = new Reader(c.bytes, 4);
    const header = decodeRequestHeader(r, false);
    return header.apiKey === 0 && decodeProduceRequest(r, header.apiVersion).acks === 0;
  } catch {
    return false;
  }
}

class HealthError extends Error {}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const { ranges, specs } = await advertisedApis(opts.port);
  const rangeByKey = new Map(ranges.map((r) => [r.apiKey, r]));
  const pairs = ranges.flatMap((r) =>
    Array.from({ length: r.maxVersion - r.minVersion + 1 }, (_, i) => ({
      spec: specs.get(r.apiKey)!,
      version: r.minVersion + i,
    })),
  );
  const arbs = pairs.map((p) => caseArb(p.spec, p.version, 0x1000));
  const setup = await WireClient.connect(opts.port);
  await createTopic(setup, FUZZ_TOPIC, 3);
  setup.close();

  const report: FuzzReport = {
    seed: opts.seed,
    cases: 0,
    seconds: 0,
    casesPerSecond: 0,
    pairs: pairs.length,
    perPair: {},
    byKind: { valid: 0, mutated: 0, random: 0, header: 0, lying: 0 },
    outcomes: { answered: 0, 'no-response': 0, closed: 0, parked: 0, 'sent-last': 0 },
    connectionsOpened: 0,
    healthChecks: 0,
    violations: [],
  };

  const violation = (what: string) => {
    if (report.violations.length < 50) report.violations.push(what);
  };
  const started = Date.now();
  let next = 0;
  let chunk: FuzzCase[] = [];
  let chunkStart = -CHUNK;
  const take = (): FuzzCase | null => {
    if (next >= opts.cases) return null;
    const i = next++;
    if (i >= chunkStart + CHUNK) {
      chunkStart = Math.floor(i / CHUNK) * CHUNK;
      chunk = chunkOfCases(opts.seed, chunkStart / CHUNK, arbs);
    }
    return chunk[i - chunkStart];
  };
  let probeId = PROBE_BASE;
  let nextHealth = opts.healthEvery;
  let healthRunning: Promise<void> | null = null;

  const health = async () => {
    report.healthChecks++;
    if (opts.pid !== undefined && !isAlive(opts.pid)) throw new HealthError('broker process is gone');
    const c = await WireClient.connect(opts.port).catch((err: Error) => {
      throw new HealthError(`broker unreachable: ${err.message}`);
    });
    try {
      await c
        .request(
          ApiVersionsApi,
          0,
          (w) => encodeApiVersionsRequest(w, 0, { clientSoftwareName: '', clientSoftwareVersion: '' }),
          decodeApiVersionsResponse,
          5000,
        )
        .catch((err: Error) => {
          throw new HealthError(`health check not answered: ${err.message}`);
        });
    } finally {
      c.close();
    }
  };

  const settle = (c: FuzzCase, outcome: Outcome, frames: Buffer[]) => {
    report.cases++;
    report.byKind[c.kind]++;
    report.outcomes[outcome]++;
    const pairKey = `${c.apiKey}v${c.version}`;
    if (c.kind !== 'header') report.perPair[pairKey] = (report.perPair[pairKey] ?? 0) + 1;
    const problem =
      outcome === 'no-response' && !isAcksZeroProduce(c)
        ? 'no response to a request that is not an acks=0 produce'
        : checkResponses(c, frames, specs, rangeByKey);
    if (problem)
      violation(
        `${c.kind} ${pairKey}: ${problem}${outcome === 'closed' ? ' (then closed)' : ''}: ${hex(c.bytes)}`,
      );
  };

  /**
   * One connection at a time sends up to BATCH cases, each followed by its probe, in one write.
   * Cases are settled in order by their probes' answers; the case at which the broker closed the
   * connection (or stopped answering) is settled as such, and the cases after it, which the
   * broker never read, go again on a fresh connection.
   */
  const worker = async () => {
    let conn: WireClient | null = null;
    const again: FuzzCase[] = [];
    for (;;) {
      if (report.cases >= nextHealth) {
        nextHealth += opts.healthEvery;
        healthRunning = health();
        await healthRunning;
        opts.onProgress?.(report);
      }
      const batch = again.splice(0, BATCH);
      while (batch.length < BATCH && batch[batch.length - 1]?.kind !== 'lying') {
        const c = take();
        if (c === null) break;
        batch.push(c);
      }
      if (batch.length === 0) break;
      if (conn === null) {
        conn = await WireClient.connect(opts.port).catch((err: Error) => {
          throw new HealthError(`broker unreachable: ${err.message}`);
        });
        report.connectionsOpened++;
      }
      const lying = batch[batch.length - 1].kind === 'lying' ? batch.pop()! : null;
      const ids = batch.map(() => probeId++);
      const parts = batch.flatMap((c, i) => [c.bytes, probeFrame(ids[i])]);
      const collecting =
        ids.length > 0 ? collect(conn, new Set(ids), opts.caseTimeoutMs) : Promise.resolve([]);
      conn.write(Buffer.concat(parts));
      const frames = await collecting;
      let settled = 0;
      let current: Buffer[] = [];
      for (const f of frames) {
        if (settled < batch.length && f.length >= 4 && f.readInt32BE(0) === ids[settled]) {
          settle(batch[settled], current.length > 0 ? 'answered' : 'no-response', current);
          current = [];
          settled++;
        } else {
          current.push(f);
        }
      }
      if (settled < batch.length) {
        settle(batch[settled], conn.closed ? 'closed' : 'parked', current);
        again.push(...batch.slice(settled + 1));
        if (lying) again.push(lying);
        conn.close();
        conn = null;
      } else if (lying) {
        conn.socket.end(lying.bytes);
        settle(lying, 'sent-last', []);
        conn = null;
      }
    }
    conn?.close();
  };

  try {
    await Promise.all(Array.from({ length: opts.connections }, () => worker()));
    await health();
  } catch (err) {
    if (!(err instanceof HealthError)) throw err;
    violation(`health: ${err.message} (after ${report.cases} cases)`);
  }
  await healthRunning;
  report.seconds = (Date.now() - started) / 1000;
  report.casesPerSecond = Math.round(report.cases / report.seconds);
  return report;
}

/**
 * Frames that claim far more than they carry: array counts, string and bytes lengths of up to
 * 2 GiB in a few dozen bytes, and frame sizes near --max-request-bytes with no body behind them.
 * A broker that allocates from a claim before checking it grows by gigabytes; one that checks
 * first does not grow at all.
 */
export function hugeClaimFrames(maxRequestBytes: number): { complete: Buffer[]; sizeOnly: Buffer[] } {
  const frameOf = (apiKey: number, version: number, flexible: boolean, body: number[]) =>
    WireClient.frame({ key: apiKey, flexibleFrom: flexible ? version : 99 }, version, 7, (w) =>
      w.raw(Buffer.from(body)),
    );
  const i32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const complete = [
    frameOf(0, 7, false, [0xff, 0xff, 0, 1, ...i32(5000), ...i32(0x7fffffff)]), // produce: 2^31-1 topics
    frameOf(0, 7, false, [
      0xff,
      0xff,
      0,
      1,
      ...i32(5000),
      ...i32(1),
      0,
      1,
      0x61,
      ...i32(1),
      ...i32(0),
      ...i32(0x7ffffff0),
    ]), // records of 2 GiB
    frameOf(3, 9, true, [0xff, 0xff, 0xff, 0xff, 0x0f]), // metadata v9: compact array of 2^32-2 topics
    frameOf(3, 4, false, [...i32(0x7fffffff)]), // metadata v4: 2^31-1 topics
    frameOf(3, 4, false, [...i32(1), 0x7f, 0xff, 0x61]), // a topic name of 32767 bytes
    frameOf(19, 7, true, [0x02, 0xff, 0xff, 0xff, 0xff, 0x0f]), // create topics: a compact name of 4 GiB
    frameOf(11, 6, true, [
      0x02,
      0x61,
      ...i32(10_000),
      ...i32(10_000),
      0x01,
      0x00,
      0x09,
      0x63,
      0x6f,
      0x6e,
      0x73,
      0x75,
      0x6d,
      0x65,
      0x72,
      0x02,
      0x02,
      0x61,
      0xff,
      0xff,
      0xff,
      0xff,
      0x0f,
    ]), // join: protocol metadata of 4 GiB
    frameOf(1, 11, false, [
      ...i32(-1),
      ...i32(0),
      ...i32(1),
      ...i32(0x7fffffff),
      0,
      ...i32(0),
      ...i32(-1),
      ...i32(0x7fffffff),
    ]), // fetch: 2^31-1 topics
    frameOf(8, 8, true, [0x02, 0x61, ...i32(-1), 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f]), // offset commit: 2^32-2 topics
  ];
  const sizeOnly = [maxRequestBytes, maxRequestBytes - 1, Math.floor(maxRequestBytes / 2)].map((n) => {
    const head = Buffer.alloc(4);
    head.writeInt32BE(n);
    return head;
  });
  return { complete, sizeOnly };
}

/** A produce and a fetch of what it produced, on a fresh connection: the broker still serves. */
export async function roundTrip(port: number, topic: string): Promise<boolean> {
  const c = await WireClient.connect(port);
  try {
    await createTopic(c, topic, 1);
    const value = `rt-${Date.now()}`;
    const p = await produce(
      c,
      topic,
      0,
      encodeRecordBatch({
        records: [{ key: null, value: Buffer.from(value), headers: [] }],
        compression: 'none',
      }),
    );
    if (p.errorCode !== ErrorCode.NONE) return false;
    const f = await fetch(c, topic, [{ partition: 0, offset: p.baseOffset }]);
    return f.responses[0].partitions[0].records?.includes(Buffer.from(value)) ?? false;
  } finally {
    c.close();
  }
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      cases: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      connections: { type: 'string', default: '8' },
      'case-timeout': { type: 'string', default: '2000' },
      'health-every': { type: 'string', default: '10000' },
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const broker = a.port ? null : await EmbeddedBroker.start({ flush: 'os', logLevel: 'error' });
  const port = a.port ? Number(a.port) : broker!.port;
  try {
    const report = await runFuzz({
      port,
      cases: Number(a.cases),
      seed: Number(a.seed),
      connections: Number(a.connections),
      caseTimeoutMs: Number(a['case-timeout']),
      healthEvery: Number(a['health-every']),
      pid: broker?.pid,
      onProgress: a.json
        ? undefined
        : (r) => process.stderr.write(`  ${r.cases} cases, ${r.violations.length} violations\n`),
    });
    const serves = await roundTrip(port, 'fuzz-after');
    const stderrTrouble = broker
      ? broker.stderr
          .split('\n')
          .filter((l) => /uncaught|unhandled|\(node:\d+\)/i.test(l) && !/ModuleLoadError/.test(l))
      : [];
    const out = {
      ...report,
      alive: broker ? isAlive(broker.pid) : true,
      servesAfterwards: serves,
      stderrTrouble,
    };
    if (a.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      const { perPair: _omit, ...summary } = out;
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    }
    process.exitCode = report.violations.length === 0 && serves && stderrTrouble.length === 0 ? 0 : 1;
  } finally {
    await broker?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
