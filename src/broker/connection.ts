/**
 * One client connection: size-prefixed frames in, responses out in request order.
 *
 * Invariants:
 * - A frame's size is read before its body is buffered; a size above maxRequestBytes (or below
 *   the 8 bytes of a request header's fixed part) closes the connection without allocating it.
 * - Requests are dispatched in arrival order, and handlers do their ordering-sensitive work
 *   (offset assignment) before their first await, so pipelined produces keep their order.
 * - Responses leave in request order: a slow Fetch holds back later responses on the same
 *   connection, as Kafka clients expect. acks=0 produces take a slot that sends nothing.
 * - At most maxInFlight requests are in progress; past that the socket stops being read.
 * - Work that reads a lot into memory (Fetch) runs one at a time per connection through
 *   `oneAtATime`, each once the socket has sent all but WRITE_HIGH_WATER of what it was given:
 *   a peer that pipelines fetches and never reads the answers holds at most about two
 *   responses in broker memory, not maxInFlight of them.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import { MalformedFrameError } from '../protocol/reader.js';

/** What a handler returns: the response frame chunks, or null for "no response" (acks=0). */
export type Response = Buffer[] | null;
export type Dispatch = (frame: Buffer, conn: Connection) => Promise<Response> | Response;

interface Slot {
  done: boolean;
  response: Response;
}

export interface ConnectionLimits {
  maxRequestBytes: number;
  maxInFlight: number;
  idleTimeoutMs: number;
}

const MIN_FRAME = 8;
/** Unsent response bytes a connection may hold before its next `oneAtATime` work waits for 'drain'. */
const WRITE_HIGH_WATER = 1024 * 1024;

export class Connection {
  readonly id: string;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: Slot[] = [];
  private paused = false;
  private inFlightLogged = false;
  private closed = false;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly socket: Socket,
    private readonly dispatch: Dispatch,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.id = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    if (limits.idleTimeoutMs > 0) {
      // Silence with a request in progress (a long poll, a join waiting for a rebalance) is not
      // idleness: the answer will move the socket and start the clock again.
      socket.setTimeout(limits.idleTimeoutMs);
      socket.on('timeout', () => {
        if (this.pending.length > 0) return;
        this.log.info(
          { conn: this.id, idleTimeoutMs: limits.idleTimeoutMs },
          'closing idle connection (--idle-timeout)',
        );
        this.close();
      });
    }
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (err) => this.log.debug({ conn: this.id, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.onClose(this);
    });
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /**
   * Runs `work` after the previous work given here has finished and the socket has drained.
   * The check waits a macrotask first, so the previous work's response has reached the socket.
   */
  oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => this.drained())
      .then(work);
    this.turn = run.catch(() => {});
    return run;
  }

  private drained(): Promise<void> {
    if (this.closed || this.socket.writableLength <= WRITE_HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  close(): void {
    if (!this.closed) this.socket.destroy();
    this.closed = true;
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    this.drainFrames();
  }

  private drainFrames(): void {
    while (!this.closed && this.buffered >= 4) {
      if (this.pending.length >= this.limits.maxInFlight) {
        if (!this.paused) {
          this.paused = true;
          this.socket.pause();
          // Once per connection: a client that pipelines hard hits this on every burst.
          if (!this.inFlightLogged) {
            this.inFlightLogged = true;
            this.log.info(
              { conn: this.id, maxInFlight: this.limits.maxInFlight },
              'max in-flight requests reached (--max-in-flight); pausing reads from this connection',
            );
          }
        }
        return;
      }
      const size = this.peekSize();
      if (size < MIN_FRAME || size > this.limits.maxRequestBytes) {
        this.log.warn(
          { conn: this.id, size, maxRequestBytes: this.limits.maxRequestBytes },
          size < MIN_FRAME
            ? 'frame too small to be a request; closing connection'
            : 'request larger than --max-request-bytes; closing connection',
        );
        this.close();
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = this.take(4 + size).subarray(4);
      this.handle(frame);
    }
  }

  private peekSize(): number {
    if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0].readInt32BE(0);
  }

  /** Removes n bytes from the front of the buffered chunks; copies only when a frame spans chunks. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    this.buffered -= n;
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const want = n - off;
      if (c.length <= want) {
        c.copy(out, off);
        off += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, off, 0, want);
        this.chunks[0] = c.subarray(want);
        off += want;
      }
    }
    return out;
  }

  private handle(frame: Buffer): void {
    const slot: Slot = { done: false, response: null };
    this.pending.push(slot);
    let result: Promise<Response> | Response;
    try {
      result = this.dispatch(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r),
        (err) => this.fail(err),
      );
    } else {
      this.complete(slot, result);
    }
  }

  /**
   * A request failed to decode or its handler threw: the stream can no longer be trusted, so the
   * connection goes (the broker stays). Malformed input is the peer's fault (warn); anything
   * else is a bug in mq and is logged with its stack.
   */
  private fail(err: unknown): void {
    if (err instanceof MalformedFrameError) {
      this.log.warn({ conn: this.id, err: err.message }, 'malformed request; closing connection');
    } else {
      this.log.error({ conn: this.id, err }, 'request handler failed; closing connection');
    }
    this.close();
  }

  private complete(slot: Slot, response: Response): void {
    slot.done = true;
    slot.response = response;
    if (this.closed) return;
    let wrote = false;
    while (this.pending.length > 0 && this.pending[0].done) {
      const s = this.pending.shift()!;
      if (s.response) {
        if (!wrote) this.socket.cork();
        wrote = true;
        for (const chunk of s.response) this.socket.write(chunk);
      }
    }
    if (wrote) this.socket.uncork();
    if (this.paused && this.pending.length < this.limits.maxInFlight) {
      this.paused = false;
      this.socket.resume();
      this.drainFrames();
    }
  }
}
