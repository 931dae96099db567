/**
 * A loopback proxy that can fail a Produce request without it reaching the broker: armed, it
 * answers the next Produce itself with a retriable error for each of its partitions
 * (NOT_LEADER_OR_FOLLOWER), and forwards everything else. The producer retries that batch while
 * the requests it had sent after it are written: with more than one request in flight and no
 * idempotence, the retried batch lands behind later ones — the reordering fault.
 *
 * Responses on a connection must go out in request order, so an answer made here waits behind
 * the broker's answers to requests forwarded before it. (Dropping a *response* after the broker
 * wrote the batch is tools/fault-proxy.ts's job.) The broker must advertise this proxy's port.
 */
import net from 'node:net';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  type ProduceRequest,
} from '../../protocol/apis/produce.js';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeRequestHeader, encodeResponseHeader } from '../../protocol/header.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';

const PRODUCE = 0;

interface Pending {
  response: Buffer | null;
  /** Made here (not awaited from the broker). */
  local: boolean;
}

export class ProduceErrorProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private armed = 0;
  /** Produce requests answered here. */
  failed = 0;
  port = 0;

  constructor(
    private upstreamPort: number,
    private readonly errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ) {}

  async listen(): Promise<number> {
    this.server = net.createServer((c) => this.accept(c));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  retarget(upstreamPort: number): void {
    this.upstreamPort = upstreamPort;
  }

  /** Fails the next Produce request (that expects a response). */
  failNextProduce(): void {
    this.armed++;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.upstreamPort });
    this.sockets.add(client).add(upstream);
    const queue: Pending[] = [];
    const flush = () => {
      while (queue.length > 0 && queue[0].response) client.write(queue.shift()!.response!);
    };
    frames(client, (frame) => {
      const r = new Reader(frame, 4);
      const header = decodeRequestHeader(r, false);
      let produce: ProduceRequest | null = null;
      if (header.apiKey === PRODUCE) produce = decodeProduceRequest(r, header.apiVersion);
      if (produce && produce.acks === 0) {
        upstream.write(frame); // no response either way
        return;
      }
      if (produce && this.armed > 0) {
        this.armed--;
        this.failed++;
        queue.push({
          response: this.errorResponse(header.correlationId, header.apiVersion, produce),
          local: true,
        });
        flush();
        return;
      }
      queue.push({ response: null, local: false });
      upstream.write(frame);
    });
    frames(upstream, (frame) => {
      const slot = queue.find((p) => !p.local && p.response === null);
      if (slot) slot.response = frame;
      flush();
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('close', close);
      s.on('error', close);
    }
  }

  private errorResponse(correlationId: number, version: number, req: ProduceRequest): Buffer {
    const w = new Writer(256).frame();
    encodeResponseHeader(w, correlationId, PRODUCE, false);
    encodeProduceResponse(w, version, {
      responses: req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({
          index: p.index,
          errorCode: this.errorCode,
          baseOffset: -1,
          logAppendTimeMs: -1,
          logStartOffset: -1,
        })),
      })),
      throttleTimeMs: 0,
    });
    return Buffer.concat(w.finishFrame());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Calls `onFrame` with each whole size-prefixed frame (prefix included) read from `s`. */
function frames(s: net.Socket, onFrame: (frame: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    let off = 0;
    while (buf.length - off >= 4) {
      const size = buf.readInt32BE(off);
      if (buf.length - off < 4 + size) break;
      onFrame(buf.subarray(off, off + 4 + size));
      off += 4 + size;
    }
    buf = buf.subarray(off);
  });
}
