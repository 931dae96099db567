import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeHeartbeatRequest,
  decodeHeartbeatResponse,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  HeartbeatApi,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from '../../src/protocol/apis/heartbeat.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int16,
  int32,
  kafkajs,
  kafkajsThrottle,
  nullableStr,
  str,
} from './group-api-harness.js';

const request = fc.record({ groupId: str, generationId: int32, memberId: str, groupInstanceId: nullableStr });
const response = fc.record({ throttleTimeMs: int32, errorCode: int16 });

const projectRequest = (req: HeartbeatRequest, v: number): HeartbeatRequest => ({
  ...req,
  groupInstanceId: v >= 3 ? req.groupInstanceId : null,
});

const projectResponse = (res: HeartbeatResponse, v: number): HeartbeatResponse => ({
  ...res,
  throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
});

describe('Heartbeat', () => {
  codecSuite(
    {
      spec: HeartbeatApi,
      decodeRequest: decodeHeartbeatRequest,
      encodeRequest: encodeHeartbeatRequest,
      decodeResponse: decodeHeartbeatResponse,
      encodeResponse: encodeHeartbeatResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    it('v4 request is compact, null instance id is 00', () => {
      const bytes = hex('02 67  00000007  03 6d31  00  00'); // "g", generation 7, "m1", null, tags
      const req = { groupId: 'g', generationId: 7, memberId: 'm1', groupInstanceId: null };
      expect(encode(encodeHeartbeatRequest, 4, req)).toEqual(bytes);
      expect(decodeAll(decodeHeartbeatRequest, bytes, 4)).toEqual(req);
    });

    it('v0 response is only the error code', () => {
      expect(encode(encodeHeartbeatResponse, 0, { throttleTimeMs: 9, errorCode: 27 })).toEqual(hex('001b'));
    });
  });

  describe('kafkajs interop', () => {
    it.each([0, 1, 2, 3])('v%i request decodes', async (v) => {
      const body = await kafkajs('heartbeat', v).encodeRequest({
        groupId: 'billing',
        groupGenerationId: 12,
        memberId: 'billing-1',
        groupInstanceId: 'static-1',
      });
      expect(decodeAll(decodeHeartbeatRequest, body, v)).toEqual({
        groupId: 'billing',
        generationId: 12,
        memberId: 'billing-1',
        groupInstanceId: v >= 3 ? 'static-1' : null,
      });
    });

    it.each([0, 1, 2, 3])('v%i response is read by kafkajs', async (v) => {
      const body = encode(encodeHeartbeatResponse, v, { throttleTimeMs: 2, errorCode: ErrorCode.NONE });
      const decoded = await kafkajs('heartbeat', v).decodeResponse<Record<string, unknown>>(body);
      expect(decoded.errorCode).toBe(0);
      if (v >= 1) expect(kafkajsThrottle(decoded)).toBe(2);
    });
  });
});
