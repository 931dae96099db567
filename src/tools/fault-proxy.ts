/**
 * A loopback TCP proxy that understands Kafka framing and can drop chosen responses: the
 * "request reached the broker, the ack was lost" fault that makes a producer retry. It is how
 * tests show that idempotence prevents duplicates (and that without it they appear).
 *
 * The broker must advertise the proxy's port (`mq serve --advertised-port`), or clients would
 * bypass the proxy after their first Metadata request.
 */
import net from 'node:net';

export interface ResponseInfo {
  apiKey: number;
  correlationId: number;
  /** How many responses of this API key the proxy has seen so far (1-based). */
  nth: number;
}

export interface FaultProxyOptions {
  upstreamHost?: string;
  upstreamPort: number;
  /** Returns true to drop the response (it is read from the broker and never delivered). */
  dropResponse?: (info: ResponseInfo) => boolean;
}

/** Splits a byte stream into size-prefixed frames. */
class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  push(data: Buffer, onFrame: (frame: Buffer) => void): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    let off = 0;
    while (this.buf.length - off >= 4) {
      const size = this.buf.readInt32BE(off);
      if (size < 0 || this.buf.length - off < 4 + size) break;
      onFrame(this.buf.subarray(off, off + 4 + size));
      off += 4 + size;
    }
    this.buf = this.buf.subarray(off);
  }
}

export class FaultProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly seen = new Map<number, number>();
  dropped: ResponseInfo[] = [];
  port = 0;

  constructor(private readonly opts: FaultProxyOptions) {}

  async listen(port = 0): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Points the proxy at another upstream port (a restarted broker). */
  retarget(upstreamPort: number): void {
    this.opts.upstreamPort = upstreamPort;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({
      host: this.opts.upstreamHost ?? '127.0.0.1',
      port: this.opts.upstreamPort,
    });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const apiKeys = new Map<number, number>();
    const requests = new FrameSplitter();
    const responses = new FrameSplitter();
    client.on('data', (d) =>
      requests.push(d, (frame) => {
        if (frame.length >= 12) apiKeys.set(frame.readInt32BE(8), frame.readInt16BE(4));
        upstream.write(frame);
      }),
    );
    upstream.on('data', (d) =>
      responses.push(d, (frame) => {
        const correlationId = frame.length >= 8 ? frame.readInt32BE(4) : -1;
        const apiKey = apiKeys.get(correlationId) ?? -1;
        apiKeys.delete(correlationId);
        const nth = (this.seen.get(apiKey) ?? 0) + 1;
        this.seen.set(apiKey, nth);
        const info = { apiKey, correlationId, nth };
        if (this.opts.dropResponse?.(info)) this.dropped.push(info);
        else client.write(frame);
      }),
    );
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
