import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeProduceRequest,
  decodeProduceResponse,
  encodeProduceRequest,
  encodeProduceResponse,
  ProduceApi,
  type ProduceResponse,
} from '../../src/protocol/apis/produce.js';
import { decodeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { validateBatch } from '../../src/protocol/record-batch.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/records.js';
import {
  bytes,
  codecSuite,
  decodeAll,
  encode,
  hex,
  int16,
  int32,
  int64,
  kafkajs,
  list,
  nullableStr,
  str,
} from './group-api-harness.js';

const request = fc.record({
  transactionalId: nullableStr,
  acks: int16,
  timeoutMs: int32,
  topicData: list(
    fc.record({
      name: str,
      partitionData: list(fc.record({ index: int32, records: fc.option(bytes, { nil: null }) })),
    }),
  ),
});

const response = fc.record({
  responses: list(
    fc.record({
      name: str,
      partitionResponses: list(
        fc.record({
          index: int32,
          errorCode: int16,
          baseOffset: int64,
          logAppendTimeMs: int64,
          logStartOffset: int64,
          recordErrors: list(fc.record({ batchIndex: int32, batchIndexErrorMessage: nullableStr })),
          errorMessage: nullableStr,
        }),
      ),
    }),
  ),
  throttleTimeMs: int32,
});

function projectResponse(res: ProduceResponse, v: number): ProduceResponse {
  return {
    responses: res.responses.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionResponses.map((p) => ({
        index: p.index,
        errorCode: p.errorCode,
        baseOffset: p.baseOffset,
        logAppendTimeMs: v >= 2 ? p.logAppendTimeMs : -1,
        logStartOffset: v >= 5 ? p.logStartOffset : -1,
        // v8+ only: never written in 3-7.
        recordErrors: [],
        errorMessage: null,
      })),
    })),
    throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
  };
}

interface KafkajsProduceResponse {
  topics: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      baseOffset: string;
      logAppendTime: string;
      logStartOffset?: string;
    }[];
  }[];
  throttleTime?: number;
  clientSideThrottleTime?: number;
}

describe('Produce', () => {
  codecSuite(
    {
      spec: ProduceApi,
      decodeRequest: decodeProduceRequest,
      encodeRequest: encodeProduceRequest,
      decodeResponse: decodeProduceResponse,
      encodeResponse: encodeProduceResponse,
    },
    { arbitrary: request, project: (req) => req },
    { arbitrary: response, project: projectResponse },
  );

  it('advertises 3-7, never flexible', () => {
    expect(ProduceApi).toEqual({ key: 0, name: 'Produce', minVersion: 3, maxVersion: 7, flexibleFrom: 9 });
  });

  it('decodes a v7 request frame and keeps the records as a view into it', () => {
    const batch = encodeRecordBatch({
      records: [{ key: null, value: Buffer.from('hello') }],
      baseTimestamp: 1,
    });
    const frame = Buffer.concat([
      hex(`
        0000 0007 0000002a          # api key 0, version 7, correlation id 42
        0007 72646b61666b61         # client id "rdkafka"
        ffff                        # transactional_id null
        ffff                        # acks -1
        00007530                    # timeout_ms 30000
        00000001                    # topic_data: 1
          0001 74                   #   name "t"
          00000001                  #   partition_data: 1
            00000002                #     index 2
      `),
      hex(batch.length.toString(16).padStart(8, '0')), // records length
      batch,
    ]);
    const r = new Reader(frame);
    expect(decodeRequestHeader(r, false)).toMatchObject({ apiKey: 0, apiVersion: 7, correlationId: 42 });
    const req = decodeProduceRequest(r, 7);
    expect(r.remaining).toBe(0);
    expect(req).toEqual({
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: 't', partitionData: [{ index: 2, records: batch }] }],
    });
    const records = req.topicData[0].partitionData[0].records!;
    expect(records.buffer).toBe(frame.buffer);
    expect(validateBatch(records, 0, records.length)).toBeNull();
  });

  it('encodes a v7 response byte for byte', () => {
    const body = encode(encodeProduceResponse, 7, {
      responses: [
        {
          name: 't',
          partitionResponses: [
            { index: 2, errorCode: 0, baseOffset: 5, logAppendTimeMs: -1, logStartOffset: 0 },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
    expect(body).toEqual(
      hex(`
        00000001 0001 74            # responses: 1, name "t"
        00000001                    # partition_responses: 1
          00000002 0000             #   index 2, error_code 0
          0000000000000005          #   base_offset
          ffffffffffffffff          #   log_append_time_ms -1
          0000000000000000          #   log_start_offset
        00000000                    # throttle_time_ms
      `),
    );
  });

  it.each([3, 4, 5, 6, 7])('decodes the v%i request kafkajs sends, records included', async (v) => {
    const body = await kafkajs('produce', v).encodeRequest({
      acks: -1,
      timeout: 1000,
      compression: 0,
      topicData: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 1,
              firstSequence: 0,
              messages: [
                { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000, headers: { h: 'x' } },
                { key: null, value: 'v2', timestamp: 1_700_000_000_001 },
              ],
            },
          ],
        },
      ],
    });
    const req = decodeAll(decodeProduceRequest, body, v);
    expect(req).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 1000 });
    expect(req.topicData.map((t) => [t.name, t.partitionData.map((p) => p.index)])).toEqual([
      ['orders', [1]],
    ]);
    const records = req.topicData[0].partitionData[0].records!;
    expect(validateBatch(records, 0, records.length)).toBeNull();
    const [batch] = decodeRecords(records);
    expect(batch.records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
      ['k1', 'v1', 1_700_000_000_000],
      [null, 'v2', 1_700_000_000_001],
    ]);
    expect(batch.records[0].headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);
  });

  it.each([3, 4, 5, 6, 7])('kafkajs reads our v%i response', async (v) => {
    const res: ProduceResponse = {
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            { index: 1, errorCode: 0, baseOffset: 2 ** 40, logAppendTimeMs: -1, logStartOffset: 17 },
            { index: 2, errorCode: 0, baseOffset: 0, logAppendTimeMs: 1234, logStartOffset: 0 },
          ],
        },
      ],
      throttleTimeMs: 6,
    };
    const d = await kafkajs('produce', v).decodeResponse<KafkajsProduceResponse>(
      encode(encodeProduceResponse, v, res),
    );
    expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(6);
    expect(d.topics[0].topicName).toBe('orders');
    expect(
      d.topics[0].partitions.map((p) => [p.partition, p.errorCode, p.baseOffset, p.logAppendTime]),
    ).toEqual([
      [1, 0, String(2 ** 40), '-1'],
      [2, 0, '0', '1234'],
    ]);
    if (v >= 5) expect(d.topics[0].partitions.map((p) => p.logStartOffset)).toEqual(['17', '0']);
  });
});
