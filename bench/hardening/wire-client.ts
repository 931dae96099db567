/**
 * A minimal pipelined Kafka-protocol connection over mq's own codecs, for the hardening benches
 * and their reduced runs in the test suite. Deliberately not mq's client (src/client): the
 * torture and scale runs must see exactly what the broker answered, with no retries, batching or
 * reconnects in between, and the fuzzer must be able to send bytes no client would.
 *
 * Responses are matched to requests by correlation id; a close fails every request still waiting.
 */
import net from 'node:net';
import type { ApiSpec } from '../../src/protocol/apis/api.js';
import { isFlexible } from '../../src/protocol/apis/api.js';
import { encodeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const API_VERSIONS_KEY = 18;

interface Waiter {
  resolve(frame: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
}

export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

export class WireClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private correlation = 1;
  private readonly waiting = new Map<number, Waiter>();
  /** Frames that matched no waiting request, in arrival order (the fuzzer reads them). */
  readonly unmatched: Buffer[] = [];
  /** Called after a frame is added to `unmatched`. */
  onUnmatched: (() => void) | null = null;
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        for (const w of this.waiting.values()) {
          if (w.timer) clearTimeout(w.timer);
          w.reject(new ConnectionClosedError('connection closed by the broker'));
        }
        this.waiting.clear();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new WireClient(s));
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /**
   * Chunks are kept as they arrive and joined only once a whole frame is in, so a response of
   * tens of MiB costs one copy, not one per chunk.
   */
  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const size = this.chunks[0].readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.deliver(frame);
    }
  }

  private deliver(frame: Buffer): void {
    const id = frame.length >= 4 ? frame.readInt32BE(0) : -1;
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      if (w.timer) clearTimeout(w.timer);
      w.resolve(frame);
    } else {
      this.unmatched.push(frame);
      this.onUnmatched?.();
    }
  }

  nextCorrelationId(): number {
    const id = this.correlation;
    this.correlation = (this.correlation % 0x7ffffff0) + 1;
    return id;
  }

  /** Frames a request: size, header (v1, or v2 for flexible versions), body. */
  static frame(
    spec: Pick<ApiSpec, 'key' | 'flexibleFrom'>,
    version: number,
    correlationId: number,
    body: (w: Writer) => void,
    clientId = 'mq-hardening',
  ): Buffer {
    const w = new Writer(256).frame();
    const flexible = isFlexible(spec as ApiSpec, version);
    encodeRequestHeader(w, { apiKey: spec.key, apiVersion: version, correlationId, clientId }, flexible);
    body(w);
    return Buffer.concat(w.finishFrame());
  }

  /** Waits for the response frame with this correlation id (its bytes from the correlation id on). */
  awaitFrame(correlationId: number, timeoutMs = 10_000): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('connection closed'));
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.waiting.delete(correlationId);
              reject(new Error(`no response to correlation id ${correlationId} in ${timeoutMs} ms`));
            }, timeoutMs)
          : null;
      this.waiting.set(correlationId, { resolve, reject, timer });
    });
  }

  write(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends one request and decodes its response body (after the response header). */
  async request<T>(
    spec: ApiSpec,
    version: number,
    body: (w: Writer) => void,
    decode: (r: Reader, version: number) => T,
    timeoutMs = 10_000,
  ): Promise<T> {
    const id = this.nextCorrelationId();
    const response = this.awaitFrame(id, timeoutMs);
    this.write(WireClient.frame(spec, version, id, body));
    const frame = await response;
    const r = new Reader(frame, 4);
    if (isFlexible(spec, version) && spec.key !== API_VERSIONS_KEY) r.taggedFields();
    return decode(r, version);
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  send(spec: ApiSpec, version: number, body: (w: Writer) => void): void {
    this.write(WireClient.frame(spec, version, this.nextCorrelationId(), body));
  }

  close(): void {
    this.socket.destroy();
  }
}
