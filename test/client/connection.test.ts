/**
 * Connection against a scripted TCP peer: version negotiation (including the KIP-511 fallback),
 * pipelined requests answered in order, request timeouts and closes failing what is outstanding.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../src/client/connection.js';
import { ConnectionError, RequestTimeoutError } from '../../src/client/errors.js';
import {
  encodeApiVersionsResponse,
  encodeApiVersionsUnsupported,
} from '../../src/protocol/apis/api-versions.js';
import {
  decodeMetadataRequest,
  decodeMetadataResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  MetadataApi,
} from '../../src/protocol/apis/metadata.js';
import { ProduceApi } from '../../src/protocol/apis/produce.js';
import { decodeRequestHeader, encodeResponseHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

interface Seen {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

type Answer = (h: Seen, body: Reader) => Buffer[] | null | 'hold';

/** A peer that answers each request frame with whatever `answer` returns (null: nothing). */
async function peer(answer: Answer, opts: { apiVersionsMax?: number } = {}) {
  const seen: Seen[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const r = new Reader(frame);
        const h = decodeRequestHeader(
          r,
          frame.readInt16BE(0) === 18 ? frame.readInt16BE(2) >= 3 : frame.readInt16BE(2) >= 9,
        );
        seen.push(h);
        let out: Buffer[] | null | 'hold';
        if (h.apiKey === 18) {
          const w = new Writer().frame();
          encodeResponseHeader(w, h.correlationId, 18, false);
          if (h.apiVersion > (opts.apiVersionsMax ?? 3)) {
            encodeApiVersionsUnsupported(w, [
              {
                key: 18,
                name: 'ApiVersions',
                minVersion: 0,
                maxVersion: opts.apiVersionsMax ?? 3,
                flexibleFrom: 3,
              },
            ]);
          } else {
            encodeApiVersionsResponse(w, h.apiVersion, {
              errorCode: 0,
              apiKeys: [
                { apiKey: 0, minVersion: 3, maxVersion: 9 },
                { apiKey: 3, minVersion: 0, maxVersion: 12 },
                { apiKey: 18, minVersion: 0, maxVersion: opts.apiVersionsMax ?? 3 },
              ],
              throttleTimeMs: 0,
            });
          }
          out = w.finishFrame();
        } else out = answer(h, r);
        if (out !== null && out !== 'hold') for (const c of out) socket.write(c);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, seen, sockets };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function metadataAnswer(h: Seen, body: Reader): Buffer[] {
  const req = decodeMetadataRequest(body, h.apiVersion);
  const w = new Writer().frame();
  encodeResponseHeader(w, h.correlationId, 3, h.apiVersion >= 9);
  encodeMetadataResponse(w, h.apiVersion, {
    throttleTimeMs: 0,
    brokers: [{ nodeId: h.correlationId, host: 'h', port: 1, rack: null }],
    clusterId: req.topics?.[0]?.name ?? null,
    controllerId: 0,
    topics: [],
    clusterAuthorizedOperations: -2147483648,
  });
  return w.finishFrame();
}

const metadataOf = (name: string) => (w: Writer, v: number) =>
  encodeMetadataRequest(w, v, {
    topics: [{ name }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });

describe('Connection', () => {
  it('negotiates the highest common version, capped by the client preference', async () => {
    const p = await peer(metadataAnswer);
    const c = await Connection.connect({ host: '127.0.0.1', port: p.port });
    // Broker speaks Metadata 0-12, mq's codec 0-9: 9. Produce: broker 3-9, client prefers 7.
    expect(c.versionFor(MetadataApi)).toBe(9);
    expect(c.versionFor(ProduceApi)).toBe(7);
    expect(
      c.tryVersionFor({ key: 1, name: 'Fetch', minVersion: 4, maxVersion: 12, flexibleFrom: 12 }),
    ).toBeNull();
    c.close();
  });

  it('falls back to the ApiVersions version the broker names (KIP-511)', async () => {
    const p = await peer(metadataAnswer, { apiVersionsMax: 2 });
    const c = await Connection.connect({ host: '127.0.0.1', port: p.port });
    expect(p.seen.filter((s) => s.apiKey === 18).map((s) => s.apiVersion)).toEqual([3, 2]);
    expect(c.versionFor(MetadataApi)).toBe(9);
    c.close();
  });

  it('pipelines requests and matches answers in order', async () => {
    const p = await peer(metadataAnswer);
    const c = await Connection.connect({ host: '127.0.0.1', port: p.port });
    const names = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const all = names.map((n) => c.request(MetadataApi, metadataOf(n), decodeMetadataResponse));
    expect(c.inFlight).toBe(50);
    const res = await Promise.all(all);
    expect(res.map((r) => r.clusterId)).toEqual(names);
    expect(new Set(res.map((r) => r.brokers[0].nodeId)).size).toBe(50);
    c.close();
  });

  it('times out a request, closes, and fails everything outstanding', async () => {
    const p = await peer(() => 'hold');
    const c = await Connection.connect({ host: '127.0.0.1', port: p.port, requestTimeoutMs: 200 });
    const a = c.request(MetadataApi, metadataOf('a'), decodeMetadataResponse);
    const b = c.request(MetadataApi, metadataOf('b'), decodeMetadataResponse, 60_000);
    await expect(a).rejects.toBeInstanceOf(RequestTimeoutError);
    await expect(b).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(c.closed).toBe(true);
    await expect(c.request(MetadataApi, metadataOf('c'), decodeMetadataResponse)).rejects.toBeInstanceOf(
      RequestTimeoutError,
    );
  });

  it('fails outstanding requests with a retriable ConnectionError when the peer goes away', async () => {
    const p = await peer(() => 'hold');
    const c = await Connection.connect({ host: '127.0.0.1', port: p.port });
    const a = c.request(MetadataApi, metadataOf('a'), decodeMetadataResponse);
    const closed = new Promise<Error>((resolve) => c.onClose(resolve));
    await new Promise((r) => setTimeout(r, 50));
    for (const s of p.sockets) s.destroy();
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).retriable).toBe(true);
    expect(await closed).toBe(err);
  });

  it('sends acks=0 style requests without waiting for an answer', async () => {
    const p = await peer(() => null);
    const c = await Connection.connect({ host: '127.0.0.1', port: p.port });
    c.sendOnly(ProduceApi, (w) => w.nullableString(null).int16(0).int32(1000).int32(0));
    expect(c.inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(p.seen.at(-1)?.apiKey).toBe(0);
    c.close();
  });

  it('reports a refused connect as a ConnectionError', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(Connection.connect({ host: '127.0.0.1', port })).rejects.toBeInstanceOf(ConnectionError);
  });
});
