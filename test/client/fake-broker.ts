/**
 * A scripted Kafka peer for client tests that need a broker to misbehave on cue: it answers
 * ApiVersions, Metadata (one broker, itself) and InitProducerId by itself, and hands every other
 * request to the test's handler, which answers, holds (never answers) or drops the connection.
 */
import net from 'node:net';
import type { ApiSpec } from '../../src/protocol/apis/api.js';
import { ApiVersionsApi, encodeApiVersionsResponse } from '../../src/protocol/apis/api-versions.js';
import { FetchApi } from '../../src/protocol/apis/fetch.js';
import { encodeInitProducerIdResponse, InitProducerIdApi } from '../../src/protocol/apis/init-producer-id.js';
import { ListOffsetsApi } from '../../src/protocol/apis/list-offsets.js';
import { encodeMetadataResponse, MetadataApi } from '../../src/protocol/apis/metadata.js';
import { ProduceApi } from '../../src/protocol/apis/produce.js';
import { decodeRequestHeader, encodeResponseHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const SPECS: ApiSpec[] = [
  ApiVersionsApi,
  MetadataApi,
  ProduceApi,
  FetchApi,
  ListOffsetsApi,
  InitProducerIdApi,
];
const BY_KEY = new Map(SPECS.map((s) => [s.key, s]));

export interface FakeRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  body: Reader;
  /** Which connection (0, 1, ...) the request came on. */
  connection: number;
}

/** A body writer for the answer, 'hold' (no answer), 'close' (drop the connection), or null (acks=0). */
export type Reply = ((w: Writer, version: number) => void) | 'hold' | 'close' | null;

export interface FakeBroker {
  bootstrap: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function fakeBroker(
  topics: Record<string, number>,
  handle: (req: FakeRequest) => Reply,
): Promise<FakeBroker> {
  const requests: FakeRequest[] = [];
  const sockets: net.Socket[] = [];
  let port = 0;
  const server = net.createServer((socket) => {
    const connection = sockets.length;
    sockets.push(socket);
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const spec = BY_KEY.get(frame.readInt16BE(0))!;
        const flexible = frame.readInt16BE(2) >= spec.flexibleFrom;
        const r = new Reader(frame);
        const h = decodeRequestHeader(r, flexible);
        const req = {
          apiKey: h.apiKey,
          apiVersion: h.apiVersion,
          correlationId: h.correlationId,
          body: r,
          connection,
        };
        requests.push(req);
        const reply =
          builtIn(req, topics, port, (k) => requests.filter((x) => x.apiKey === k).length) ?? handle(req);
        if (reply === 'close') {
          socket.destroy();
          return;
        }
        if (reply === null || reply === 'hold') continue;
        const w = new Writer().frame();
        encodeResponseHeader(w, h.correlationId, h.apiKey, flexible);
        reply(w, h.apiVersion);
        for (const c of w.finishFrame()) socket.write(c);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  return {
    bootstrap: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function builtIn(
  req: FakeRequest,
  topics: Record<string, number>,
  port: number,
  requestsOf: (apiKey: number) => number,
): Reply | undefined {
  if (req.apiKey === ApiVersionsApi.key) {
    return (w, v) =>
      encodeApiVersionsResponse(w, v, {
        errorCode: 0,
        apiKeys: SPECS.map((s) => ({ apiKey: s.key, minVersion: s.minVersion, maxVersion: s.maxVersion })),
        throttleTimeMs: 0,
      });
  }
  if (req.apiKey === MetadataApi.key) {
    return (w, v) =>
      encodeMetadataResponse(w, v, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }],
        clusterId: 'fake',
        controllerId: 0,
        topics: Object.entries(topics).map(([name, n]) => ({
          errorCode: 0,
          name,
          isInternal: false,
          partitions: Array.from({ length: n }, (_, p) => ({
            errorCode: 0,
            partitionIndex: p,
            leaderId: 0,
            leaderEpoch: 0,
            replicaNodes: [0],
            isrNodes: [0],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        })),
        clusterAuthorizedOperations: -2147483648,
      });
  }
  if (req.apiKey === InitProducerIdApi.key) {
    // Producer ids 7, 8, 9, ... in the order they are asked for.
    const producerId = 7 + requestsOf(InitProducerIdApi.key) - 1;
    return (w, v) =>
      encodeInitProducerIdResponse(w, v, { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 3 });
  }
  return undefined;
}
