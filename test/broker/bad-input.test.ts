/**
 * Bad input never takes the broker down, never corrupts a log and never touches the file system
 * outside the data dir. After each case a well-behaved client (kafkajs) still gets served.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeApiVersionsResponse } from '../../src/protocol/apis/api-versions.js';
import {
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
} from '../../src/protocol/apis/create-topics.js';
import { decodeFetchResponse, encodeFetchRequest } from '../../src/protocol/apis/fetch.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../src/protocol/apis/metadata.js';
import { decodeProduceResponse, encodeProduceRequest } from '../../src/protocol/apis/produce.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { RawSocket } from '../support/raw-client.js';

const MAX_REQUEST = 1024 * 1024;

describe('bad input', () => {
  let broker: EmbeddedBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({
      flush: 'os',
      extraArgs: ['--max-request-bytes', String(MAX_REQUEST)],
    });
    kafka = new Kafka({
      clientId: 'good-client',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'victim', numPartitions: 1 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    await broker?.close();
  });

  async function stillServes(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain('victim');
    } finally {
      await admin.disconnect();
    }
  }

  function produceBody(topic: string, records: Buffer) {
    return (w: import('../../src/protocol/writer.js').Writer) =>
      encodeProduceRequest(w, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
      });
  }

  it('survives a truncated frame and a peer that hangs up mid-frame', async () => {
    const s = await RawSocket.connect(broker.port);
    const head = Buffer.alloc(4);
    head.writeInt32BE(100);
    s.write(Buffer.concat([head, Buffer.from('short')]));
    s.close();
    await stillServes();
  });

  it('closes a connection sending garbage frames and keeps serving others', async () => {
    for (let i = 0; i < 20; i++) {
      const s = await RawSocket.connect(broker.port);
      const body = Buffer.from(Array.from({ length: 64 + i * 7 }, (_, j) => (j * 131 + i * 17) & 0xff));
      const head = Buffer.alloc(4);
      head.writeInt32BE(body.length);
      s.write(Buffer.concat([head, body]));
      await s.closedWithin(300);
      s.close();
    }
    await stillServes();
  });

  it('answers unknown API keys and unsupported versions with UNSUPPORTED_VERSION', async () => {
    const s = await RawSocket.connect(broker.port);
    let r = await s.request(999, 0, false, () => {});
    expect(r.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    r = await s.request(0, 2, false, () => {}); // Produce v2: below our range
    expect(r.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    // ApiVersions at a version we do not speak: the v0 body with error 35 and our ranges.
    r = await s.request(18, 99, false, () => {}, false);
    const av = decodeApiVersionsResponse(r, 0);
    expect(av.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(av.apiKeys.find((k) => k.apiKey === 0)).toMatchObject({ minVersion: 3, maxVersion: 7 });
    s.close();
    await stillServes();
  });

  it('refuses a frame larger than --max-request-bytes without reading it', async () => {
    const s = await RawSocket.connect(broker.port);
    const head = Buffer.alloc(4);
    head.writeInt32BE(0x7fff0000); // claims ~2 GiB
    s.write(head);
    expect(await s.closedWithin(2000)).toBe(true);
    const s2 = await RawSocket.connect(broker.port);
    head.writeInt32BE(MAX_REQUEST + 1);
    s2.write(head);
    expect(await s2.closedWithin(2000)).toBe(true);
    expect(broker.stderr).toContain('larger than --max-request-bytes');
    await stillServes();
  });

  it('rejects a batch with a wrong CRC with CORRUPT_MESSAGE and appends nothing', async () => {
    const s = await RawSocket.connect(broker.port);
    const batch = encodeRecordBatch({
      records: [{ key: null, value: Buffer.from('hello'), headers: [] }],
      compression: 'none',
    });
    batch[batch.length - 1] ^= 0x01; // flip a bit inside the CRC-covered records
    let r = await s.request(0, 7, false, produceBody('victim', batch));
    let res = decodeProduceResponse(r, 7);
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    // A batch whose length lies past the end of the records field.
    const lying = Buffer.from(
      encodeRecordBatch({
        records: [{ key: null, value: Buffer.from('x'), headers: [] }],
        compression: 'none',
      }),
    );
    lying.writeInt32BE(1_000_000, 8);
    r = await s.request(0, 7, false, produceBody('victim', lying));
    res = decodeProduceResponse(r, 7);
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    s.close();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('victim');
    await admin.disconnect();
    expect(offsets[0].high).toBe('0');
  });

  it('refuses invalid topic names and creates nothing outside the data dir', async () => {
    const bad = ['../x', 'a/b', '.', '..', 'x'.repeat(250), '', 'white space', '../../etc/evil'];
    const s = await RawSocket.connect(broker.port);
    let r = await s.request(3, 9, true, (w) =>
      encodeMetadataRequest(w, 9, {
        topics: bad.map((name) => ({ name })),
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }),
    );
    const md = decodeMetadataResponse(r, 9);
    expect(md.topics.map((t) => t.errorCode)).toEqual(bad.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
    r = await s.request(19, 4, false, (w) =>
      encodeCreateTopicsRequest(w, 4, {
        topics: bad.map((name) => ({
          name,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [],
        })),
        timeoutMs: 1000,
        validateOnly: false,
      }),
    );
    const ct = decodeCreateTopicsResponse(r, 4);
    expect(ct.topics.map((t) => t.errorCode)).toEqual(bad.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
    r = await s.request(
      0,
      7,
      false,
      produceBody(
        '../x',
        encodeRecordBatch({
          records: [{ key: null, value: Buffer.from('x'), headers: [] }],
          compression: 'none',
        }),
      ),
    );
    expect(decodeProduceResponse(r, 7).responses[0].partitionResponses[0].errorCode).toBe(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
    s.close();
    const parent = path.dirname(broker.dataDir);
    expect(existsSync(path.join(parent, 'x-0'))).toBe(false);
    expect(existsSync(path.join(broker.dataDir, 'x-0'))).toBe(false);
    expect(readdirSync(path.join(broker.dataDir, 'topics')).sort()).toEqual(['victim-0']);
    await stillServes();
  });

  it('answers a fetch beyond the log end with OFFSET_OUT_OF_RANGE', async () => {
    const s = await RawSocket.connect(broker.port);
    const r = await s.request(1, 11, false, (w) =>
      encodeFetchRequest(w, 11, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'victim',
            topicId: null,
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 1000,
                lastFetchedEpoch: -1,
                logStartOffset: -1,
                partitionMaxBytes: 65536,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      }),
    );
    const res = decodeFetchResponse(r, 11);
    expect(res.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    s.close();
    await stillServes();
  });
});
