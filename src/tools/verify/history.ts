/**
 * The history of a verify-loss run: one JSON object per line (JSONL), appended as things happen,
 * read back as a stream. Everything the checker knows comes from here, so `mq check FILE` can
 * judge a run offline, and a user's own producer and consumers can write one too.
 *
 * Keys are short because a history has millions of lines. `ts` is milliseconds since the run
 * started (the `meta` line's `at`); `n` (messages in a run of consecutive sequence numbers)
 * defaults to 1.
 *
 *   {"t":"meta","v":1,"at":ISO,"topic","partitions","producers","consumers","keys","group",
 *    "expect","idempotent","acks","maxInFlight","consumerMode","flush","driver","offsets"?}
 *        first line; offsets:false = a driver without offsets (reads carry offset -1)
 *   {"t":"send","ts","p":producer,"s":firstSeq,"n","pt"?}   send invoked (written BEFORE sending,
 *                                                           so a crash leaves it indeterminate)
 *   {"t":"ok","ts","p","s","n","pt","o":firstOffset}       acknowledged: seq s+i at offset o+i
 *                                                           (o = -1 when unknown, e.g. acks=0)
 *   {"t":"fail","ts","p","s","n","e":error}                definitely not written
 *   {"t":"info","ts","p","s","n","e":error}                indeterminate (timeout, connection lost)
 *   {"t":"read","ts","c":consumer,"pt","r":[offset,producer,seq,...],"k":[key|null,...]?,
 *    "rd":[index,...]?}
 *        records processed by a consumer, in offset order; producer -1 = no stamp; rd = the
 *        records the engine flagged as delivered before. Consumer "drain" is the final read of
 *        the whole log (without offsets: of what the group left); all others are one group.
 *   {"t":"commit","ts","c","pt","o":nextOffset,"ok":false?,"e"?}   ok:false = outcome unknown
 *   {"t":"assign","ts","c","pts":[partition,...]}  /  {"t":"revoke",...}
 *   {"t":"fault","ts","kind","phase":"start"|"end","target"?}
 *   {"t":"drain","ts","pt","end":logEnd,"reached":nextOffsetRead}   one per partition (end -1:
 *        the log end is not known)
 *   {"t":"end","ts"}
 */

export const HISTORY_VERSION = 1;
export const DRAIN_CONSUMER = 'drain';

export type Guarantee = 'at-least-once' | 'exactly-once' | 'at-most-once';
export const GUARANTEES: readonly Guarantee[] = ['at-least-once', 'exactly-once', 'at-most-once'];

/** How the run's consumers commit: after processing (at-least-once) or before (at-most-once). */
export type ConsumerMode = 'at-least-once' | 'at-most-once';

export interface MetaEvent {
  t: 'meta';
  v: number;
  at: string;
  topic?: string;
  partitions?: number;
  producers?: number;
  consumers?: number;
  keys?: number;
  group?: string | null;
  expect?: Guarantee;
  idempotent?: boolean;
  acks?: number;
  maxInFlight?: number;
  consumerMode?: ConsumerMode;
  flush?: string | null;
  driver?: string;
  /**
   * false: the driver has no offsets (RabbitMQ). Reads carry offset -1, a message is known by
   * its stamp, and the final read is the group's own (see checker/queue-reads.ts).
   */
  offsets?: boolean;
}

export interface SendEvent {
  t: 'send';
  ts: number;
  p: number;
  s: number;
  n?: number;
  pt?: number;
}

export interface OkEvent {
  t: 'ok';
  ts: number;
  p: number;
  s: number;
  n?: number;
  pt: number;
  o: number;
}

export interface FailEvent {
  t: 'fail' | 'info';
  ts: number;
  p: number;
  s: number;
  n?: number;
  e?: string;
}

export interface ReadEvent {
  t: 'read';
  ts: number;
  c: string;
  pt: number;
  /** Flattened (offset, producer, seq) triples. */
  r: number[];
  k?: (string | null)[];
  /** Indexes (into the messages) of those the engine flagged as delivered before. */
  rd?: number[];
}

export interface CommitEvent {
  t: 'commit';
  ts: number;
  c: string;
  pt: number;
  o: number;
  ok?: boolean;
  e?: string;
}

export interface AssignEvent {
  t: 'assign' | 'revoke';
  ts: number;
  c: string;
  pts: number[];
}

export type FaultKind =
  | 'broker-kill'
  | 'broker-pause'
  | 'broker-restart'
  | 'consumer-crash'
  | 'produce-response-drop'
  | 'produce-error';

export interface FaultEvent {
  t: 'fault';
  ts: number;
  kind: FaultKind | string;
  phase: 'start' | 'end';
  target?: string;
}

export interface DrainEvent {
  t: 'drain';
  ts: number;
  pt: number;
  end: number;
  reached: number;
}

export interface EndEvent {
  t: 'end';
  ts: number;
}

export type HistoryEvent =
  | MetaEvent
  | SendEvent
  | OkEvent
  | FailEvent
  | ReadEvent
  | CommitEvent
  | AssignEvent
  | FaultEvent
  | DrainEvent
  | EndEvent;

/** A history line that is not a valid event: the file cannot be checked (exit 2). */
export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Parses and validates one line. Validation is by hand and minimal (the fields the checker
 * reads, with their types), because it runs millions of times.
 */
export function parseEvent(line: string, lineNo: number): HistoryEvent {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line);
  } catch {
    throw new HistoryFormatError(`line ${lineNo}: not JSON: ${line.slice(0, 80)}`);
  }
  if (e === null || typeof e !== 'object') throw bad(lineNo, 'not an object');
  const t = e.t;
  if (t !== 'meta' && !(typeof e.ts === 'number')) throw bad(lineNo, `"${String(t)}" without a numeric ts`);
  switch (t) {
    case 'send':
    case 'ok':
    case 'fail':
    case 'info':
      if (!isInt(e.p) || !isInt(e.s) || e.s < 0) throw bad(lineNo, `${t} needs integer p and s`);
      if (e.n !== undefined && !(isInt(e.n) && e.n >= 1)) throw bad(lineNo, `${t}: n must be ≥ 1`);
      if (t === 'ok' && (!isInt(e.pt) || !isInt(e.o))) throw bad(lineNo, 'ok needs integer pt and o');
      if (e.pt !== undefined && !isInt(e.pt)) throw bad(lineNo, `${t}: pt must be an integer`);
      break;
    case 'read': {
      const r = e.r;
      if (typeof e.c !== 'string' || !isInt(e.pt) || !Array.isArray(r) || r.length % 3 !== 0)
        throw bad(lineNo, 'read needs c, pt and r as offset,producer,seq triples');
      if (e.k !== undefined && (!Array.isArray(e.k) || e.k.length * 3 !== r.length))
        throw bad(lineNo, 'read: k needs one key per record');
      if (
        e.rd !== undefined &&
        (!Array.isArray(e.rd) || !e.rd.every((i) => isInt(i) && i >= 0 && i * 3 < r.length))
      )
        throw bad(lineNo, 'read: rd needs indexes of its records');
      break;
    }
    case 'commit':
      if (typeof e.c !== 'string' || !isInt(e.pt) || !isInt(e.o)) throw bad(lineNo, 'commit needs c, pt, o');
      break;
    case 'assign':
    case 'revoke':
      if (typeof e.c !== 'string' || !Array.isArray(e.pts)) throw bad(lineNo, `${t} needs c and pts`);
      break;
    case 'fault':
      if (typeof e.kind !== 'string') throw bad(lineNo, 'fault needs kind');
      break;
    case 'drain':
      if (!isInt(e.pt) || !isInt(e.end) || !isInt(e.reached))
        throw bad(lineNo, 'drain needs pt, end, reached');
      break;
    case 'meta':
      if (typeof e.v !== 'number' || e.v > HISTORY_VERSION)
        throw bad(lineNo, `meta: unsupported history version ${String(e.v)}`);
      break;
    case 'end':
      break;
    default:
      throw bad(lineNo, `unknown event type "${String(t)}"`);
  }
  return e as unknown as HistoryEvent;
}

function bad(lineNo: number, what: string): HistoryFormatError {
  return new HistoryFormatError(`line ${lineNo}: ${what}`);
}

/** One line, without the newline. */
export function formatEvent(e: HistoryEvent): string {
  return JSON.stringify(e);
}
