/**
 * One TCP connection to one broker: size-prefixed frames, correlation ids, pipelining.
 *
 * Invariants:
 * - Requests are written in call order and the broker answers in request order, so `pending` is a
 *   FIFO: a response must carry the correlation id at its head. Anything else means the stream is
 *   out of step, and the connection is closed with every outstanding request rejected.
 * - A request that expects no response (Produce with acks=0) takes no slot in `pending`.
 * - A request past its deadline closes the connection: a late answer would be read as the answer
 *   to a later request, so the stream cannot be trusted after a timeout (Kafka clients do the same).
 * - Writes made in one tick are corked together and leave in one writev.
 * - A frame is assembled contiguously once (one copy at most, none when it arrived in one chunk)
 *   and decoded with views into it: record bytes are never copied again by this layer.
 *
 * At connect the client sends ApiVersions (v3, falling back to the version the broker names when
 * it answers UNSUPPORTED_VERSION in a v0 body) and picks, per API, the highest version both sides
 * speak, capped by the client's preference (Metadata 9, Produce 7, Fetch 12, ListOffsets 5).
 */
import net from 'node:net';
import type { ApiSpec } from '../protocol/apis/api.js';
import { isFlexible } from '../protocol/apis/api.js';
import {
  ApiVersionsApi,
  type ApiVersionsApiKey,
  decodeApiVersionsResponse,
  encodeApiVersionsRequest,
} from '../protocol/apis/api-versions.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeResponseHeader, encodeRequestHeader } from '../protocol/header.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  BrokerError,
  ClientClosedError,
  ConnectionError,
  KafkaClientError,
  RequestTimeoutError,
} from './errors.js';

/** Highest version the client asks for, per API key, where it is lower than what the codecs speak. */
export const PREFERRED_VERSIONS: Readonly<Record<number, number>> = {
  0: 7, // Produce
  1: 12, // Fetch
  2: 5, // ListOffsets
  3: 9, // Metadata: v10+ would oblige topic ids in Fetch
};

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  connectTimeoutMs?: number;
  /** Default deadline for a response; a request may ask for more (Fetch long polls). */
  requestTimeoutMs?: number;
  /** Per API key caps on top of PREFERRED_VERSIONS (tests use them to force old versions). */
  maxVersions?: Readonly<Record<number, number>>;
}

export type Encode = (w: Writer, version: number) => void;
export type Decode<T> = (r: Reader, version: number) => T;

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  flexible: boolean;
  deadline: number;
  decode: Decode<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const TIMEOUT_SWEEP_MS = 100;
const MAX_RESPONSE_BYTES = 1 << 30;

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly maxVersions: Readonly<Record<number, number>>;
  private socket: net.Socket | null = null;
  private versions = new Map<number, ApiVersionsApiKey>();
  private nextCorrelationId = 0;
  private pending: Pending[] = [];
  private head = 0;
  private corked = false;
  private closeError: Error | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private closeListeners: ((err: Error) => void)[] = [];
  // Frame assembly: either a list of chunks not yet holding a whole size prefix + frame, or a
  // preallocated frame being filled.
  private chunks: Buffer[] = [];
  private buffered = 0;

  private constructor(opts: ConnectionOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.clientId = opts.clientId ?? 'mq';
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.maxVersions = opts.maxVersions ?? {};
  }

  /** Opens the socket and negotiates API versions. */
  static async connect(opts: ConnectionOptions): Promise<Connection> {
    const c = new Connection(opts);
    await c.open(opts.connectTimeoutMs ?? 10_000);
    try {
      await c.negotiateVersions();
    } catch (err) {
      c.close(err instanceof Error ? err : new ConnectionError(String(err)));
      throw err;
    }
    return c;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get closed(): boolean {
    return this.closeError !== null;
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.pending.length - this.head;
  }

  /** Called once when the connection closes, with the reason. */
  onClose(listener: (err: Error) => void): void {
    if (this.closeError) listener(this.closeError);
    else this.closeListeners.push(listener);
  }

  private open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`connect to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError(`connect to ${this.address} failed: ${err.message}`, err));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setKeepAlive(true, 30_000);
        this.socket = socket;
        socket.on('data', (d: Buffer) => this.onData(d));
        socket.on('error', (err) =>
          this.close(new ConnectionError(`connection to ${this.address}: ${err.message}`, err)),
        );
        socket.on('close', () => this.close(new ConnectionError(`connection to ${this.address} closed`)));
        this.sweep = setInterval(() => this.checkDeadlines(), TIMEOUT_SWEEP_MS);
        this.sweep.unref();
        resolve();
      });
    });
  }

  private async negotiateVersions(): Promise<void> {
    let version = ApiVersionsApi.maxVersion;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.requestAt(
        ApiVersionsApi,
        version,
        (w, v) =>
          encodeApiVersionsRequest(w, v, { clientSoftwareName: 'mq', clientSoftwareVersion: '0.1.0' }),
        (r, v) => {
          // An unsupported version is answered with a v0 body (KIP-511): look before decoding.
          const code = r.buf.readInt16BE(r.offset);
          return decodeApiVersionsResponse(r, code === ErrorCode.UNSUPPORTED_VERSION ? 0 : v);
        },
      );
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiVersionsApi.key);
        version = Math.min(theirs?.maxVersion ?? 0, ApiVersionsApi.maxVersion);
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) throw new BrokerError(res.errorCode, 'ApiVersions');
      for (const k of res.apiKeys) this.versions.set(k.apiKey, k);
      return;
    }
    throw new KafkaClientError(
      'UNSUPPORTED',
      `${this.address} does not agree on an ApiVersions version`,
      false,
    );
  }

  /** The version to use for an API, or null when the broker speaks none the client does. */
  tryVersionFor(api: ApiSpec): number | null {
    const theirs = this.versions.get(api.key);
    if (!theirs) return null;
    const cap = Math.min(
      api.maxVersion,
      PREFERRED_VERSIONS[api.key] ?? Infinity,
      this.maxVersions[api.key] ?? Infinity,
    );
    const v = Math.min(cap, theirs.maxVersion);
    return v >= Math.max(api.minVersion, theirs.minVersion) ? v : null;
  }

  versionFor(api: ApiSpec): number {
    const v = this.tryVersionFor(api);
    if (v === null) {
      throw new KafkaClientError(
        'UNSUPPORTED',
        `${this.address} speaks no version of ${api.name} that mq does`,
        false,
      );
    }
    return v;
  }

  /** Sends a request at the negotiated version and resolves with the decoded response. */
  request<T>(api: ApiSpec, encode: Encode, decode: Decode<T>, timeoutMs?: number): Promise<T> {
    return this.requestAt(api, this.versionFor(api), encode, decode, timeoutMs);
  }

  requestAt<T>(
    api: ApiSpec,
    version: number,
    encode: Encode,
    decode: Decode<T>,
    timeoutMs?: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closeError) {
        reject(this.closeError);
        return;
      }
      const correlationId = this.write(api, version, encode);
      this.pending.push({
        correlationId,
        apiKey: api.key,
        version,
        flexible: isFlexible(api, version),
        deadline: Date.now() + (timeoutMs ?? this.requestTimeoutMs),
        decode: decode as Decode<unknown>,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). Throws if the connection is closed. */
  sendOnly(api: ApiSpec, encode: Encode): void {
    if (this.closeError) throw this.closeError;
    this.write(api, this.versionFor(api), encode);
  }

  private write(api: ApiSpec, version: number, encode: Encode): number {
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0;
    const w = new Writer(512);
    w.frame();
    encodeRequestHeader(
      w,
      { apiKey: api.key, apiVersion: version, correlationId, clientId: this.clientId },
      isFlexible(api, version),
    );
    encode(w, version);
    const chunks = w.finishFrame();
    const socket = this.socket!;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    for (const c of chunks) socket.write(c);
    return correlationId;
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (this.buffered >= 4 && !this.closeError) {
      const size = this.peekSize();
      if (size < 4 || size > MAX_RESPONSE_BYTES) {
        this.close(new KafkaClientError('PROTOCOL', `${this.address} sent a frame of ${size} bytes`, true));
        return;
      }
      if (this.buffered < 4 + size) return;
      this.take(4);
      this.onFrame(this.take(size));
    }
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0].readInt32BE(0);
  }

  /** Removes n bytes from the front: a view when one chunk holds them, else one copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  private onFrame(frame: Buffer): void {
    const p = this.pending[this.head];
    if (!p) {
      this.close(new KafkaClientError('PROTOCOL', `${this.address} sent a response nobody asked for`, true));
      return;
    }
    const r = new Reader(frame);
    let correlationId: number;
    try {
      correlationId = decodeResponseHeader(r, p.apiKey, p.flexible);
    } catch (err) {
      this.close(
        new KafkaClientError('PROTOCOL', `bad response header from ${this.address}`, true, { cause: err }),
      );
      return;
    }
    if (correlationId !== p.correlationId) {
      this.close(
        new KafkaClientError(
          'PROTOCOL',
          `${this.address} answered correlation id ${correlationId}, expected ${p.correlationId}`,
          true,
        ),
      );
      return;
    }
    this.shiftPending();
    let value: unknown;
    try {
      value = p.decode(r, p.version);
    } catch (err) {
      // The frame boundary is still known, so the stream stays usable; only this request fails.
      p.reject(
        new KafkaClientError('PROTOCOL', `cannot decode api ${p.apiKey} v${p.version} response`, false, {
          cause: err,
        }),
      );
      return;
    }
    p.resolve(value);
  }

  private shiftPending(): void {
    this.pending[this.head++] = undefined as unknown as Pending;
    if (this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private checkDeadlines(): void {
    const now = Date.now();
    for (let i = this.head; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.deadline <= now) {
        this.close(new RequestTimeoutError(`api ${p.apiKey} request to ${this.address} timed out`));
        return;
      }
    }
  }

  /** Closes the socket and rejects every outstanding request with `err` (default: closed). */
  close(err?: Error): void {
    if (this.closeError) return;
    this.closeError = err ?? new ClientClosedError(`connection to ${this.address}`);
    if (this.sweep) clearInterval(this.sweep);
    const socket = this.socket;
    if (socket && err === undefined) {
      // A requested close still delivers what was written (acks=0 produces have no answer to
      // wait for): end() flushes and sends FIN; destroy only if the peer never closes its side.
      socket.end();
      setTimeout(() => socket.destroy(), 5000).unref();
    } else socket?.destroy();
    err = this.closeError;
    const pending = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    for (const p of pending) p.reject(err);
    for (const l of this.closeListeners) l(err);
    this.closeListeners = [];
  }
}
