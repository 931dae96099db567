/**
 * A bare socket for protocol tests: send hand-made frames, read whole response frames.
 * Deliberately not mq's client, so tests can send what no client would.
 */
import net from 'node:net';
import { encodeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

export class RawSocket {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closed = false;
  private correlation = 1;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawSocket(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Builds a request frame: header (v1 or v2) + body written by `body`. */
  frame(
    apiKey: number,
    apiVersion: number,
    flexible: boolean,
    body: (w: Writer) => void,
  ): { bytes: Buffer; correlationId: number } {
    const correlationId = this.correlation++;
    const w = new Writer().frame();
    encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'raw-test' }, flexible);
    body(w);
    return { bytes: Buffer.concat(w.finishFrame()), correlationId };
  }

  /** Sends a request and returns a Reader over the response body, positioned after the correlation id. */
  async request(
    apiKey: number,
    apiVersion: number,
    flexible: boolean,
    body: (w: Writer) => void,
    responseFlexible = flexible,
  ): Promise<Reader> {
    const { bytes, correlationId } = this.frame(apiKey, apiVersion, flexible, body);
    this.write(bytes);
    const frame = await this.readFrame();
    const r = new Reader(frame);
    const got = r.int32();
    if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`);
    if (responseFlexible && apiKey !== 18) r.taggedFields();
    return r;
  }

  async readFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + size) {
          const frame = this.buf.subarray(4, 4 + size);
          this.buf = this.buf.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(t);
          this.waiting = null;
          resolve();
        };
      });
    }
  }

  /** Resolves true if the broker closes the connection within timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
