import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInitProducerIdRequest,
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  InitProducerIdApi,
  type InitProducerIdRequest,
} from '../../src/protocol/apis/init-producer-id.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int16,
  int32,
  int64,
  kafkajs,
  kafkajsThrottle,
  nullableStr,
} from './group-api-harness.js';

const request = fc.record({
  transactionalId: nullableStr,
  transactionTimeoutMs: int32,
  producerId: int64,
  producerEpoch: int16,
});

const response = fc.record({
  throttleTimeMs: int32,
  errorCode: int16,
  producerId: int64,
  producerEpoch: int16,
});

const projectRequest = (req: InitProducerIdRequest, v: number): InitProducerIdRequest => ({
  ...req,
  producerId: v >= 3 ? req.producerId : -1,
  producerEpoch: v >= 3 ? req.producerEpoch : -1,
});

describe('InitProducerId', () => {
  codecSuite(
    {
      spec: InitProducerIdApi,
      decodeRequest: decodeInitProducerIdRequest,
      encodeRequest: encodeInitProducerIdRequest,
      decodeResponse: decodeInitProducerIdResponse,
      encodeResponse: encodeInitProducerIdResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: (res) => res },
  );

  describe('golden bytes', () => {
    it('v4 request, as an idempotent (non-transactional) producer sends it', () => {
      const bytes = hex('00  7fffffff  ffffffffffffffff  ffff  00'); // null id, timeout, pid -1, epoch -1, tags
      const req = {
        transactionalId: null,
        transactionTimeoutMs: 2147483647,
        producerId: -1,
        producerEpoch: -1,
      };
      expect(encode(encodeInitProducerIdRequest, 4, req)).toEqual(bytes);
      expect(decodeAll(decodeInitProducerIdRequest, bytes, 4)).toEqual(req);
    });

    it('v2 response is flexible: trailing tag section only', () => {
      const bytes = hex('00000000 0000 00000000000003e8 0000 00');
      const res = { throttleTimeMs: 0, errorCode: 0, producerId: 1000, producerEpoch: 0 };
      expect(encode(encodeInitProducerIdResponse, 2, res)).toEqual(bytes);
      expect(decodeAll(decodeInitProducerIdResponse, bytes, 2)).toEqual(res);
    });
  });

  describe('kafkajs interop', () => {
    it.each([0, 1])('v%i request decodes (idempotent and transactional)', async (v) => {
      const codec = kafkajs('initProducerId', v);
      expect(
        decodeAll(decodeInitProducerIdRequest, await codec.encodeRequest({ transactionTimeout: 30000 }), v),
      ).toEqual({ transactionalId: null, transactionTimeoutMs: 30000, producerId: -1, producerEpoch: -1 });
      const tx = await codec.encodeRequest({ transactionalId: 'tx-1', transactionTimeout: 60000 });
      expect(decodeAll(decodeInitProducerIdRequest, tx, v).transactionalId).toBe('tx-1');
    });

    it.each([0, 1])('v%i response is read by kafkajs', async (v) => {
      const res = { throttleTimeMs: 3, errorCode: 0, producerId: 4294967297, producerEpoch: 2 };
      const decoded = await kafkajs('initProducerId', v).decodeResponse<Record<string, unknown>>(
        encode(encodeInitProducerIdResponse, v, res),
      );
      expect(decoded).toMatchObject({ errorCode: 0, producerId: '4294967297', producerEpoch: 2 });
      expect(kafkajsThrottle(decoded)).toBe(3);
    });
  });
});
