import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Coordinator,
  decodeFindCoordinatorRequest,
  decodeFindCoordinatorResponse,
  encodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  FindCoordinatorApi,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../src/protocol/apis/find-coordinator.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int8,
  int16,
  int32,
  kafkajs,
  list,
  nullableStr,
  str,
} from './group-api-harness.js';

const request = fc.record({ key: str, keyType: int8, coordinatorKeys: list(str) });

const coordinator = fc.record({
  key: str,
  nodeId: int32,
  host: str,
  port: int32,
  errorCode: int16,
  errorMessage: nullableStr,
});

const response = fc.record({
  throttleTimeMs: int32,
  errorCode: int16,
  errorMessage: nullableStr,
  nodeId: int32,
  host: str,
  port: int32,
  coordinators: list(coordinator),
});

function projectRequest(req: FindCoordinatorRequest, v: number): FindCoordinatorRequest {
  return {
    key: v <= 3 ? req.key : '',
    keyType: v >= 1 ? req.keyType : 0,
    coordinatorKeys: v >= 4 ? req.coordinatorKeys : [],
  };
}

function projectResponse(res: FindCoordinatorResponse, v: number): FindCoordinatorResponse {
  const single = v <= 3;
  return {
    throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
    errorCode: single ? res.errorCode : 0,
    errorMessage: v >= 1 && single ? res.errorMessage : null,
    nodeId: single ? res.nodeId : 0,
    host: single ? res.host : '',
    port: single ? res.port : 0,
    coordinators: single ? [] : res.coordinators,
  };
}

describe('FindCoordinator', () => {
  codecSuite(
    {
      spec: FindCoordinatorApi,
      decodeRequest: decodeFindCoordinatorRequest,
      encodeRequest: encodeFindCoordinatorRequest,
      decodeResponse: decodeFindCoordinatorResponse,
      encodeResponse: encodeFindCoordinatorResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    const v4Response = hex(`
      00000000            # throttle_time_ms 0
      02                  # coordinators: compact array of 1
        02 67             #   key "g"
        00000001          #   node_id 1
        0a 6c6f63616c686f7374  # host "localhost"
        00002384          #   port 9092
        0000              #   error_code 0
        00                #   error_message null
        00                #   tagged fields
      00                  # tagged fields
    `);
    const coordinatorG: Coordinator = {
      key: 'g',
      nodeId: 1,
      host: 'localhost',
      port: 9092,
      errorCode: 0,
      errorMessage: null,
    };
    const v4 = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0 };

    it('v4 response batches coordinators', () => {
      expect(encode(encodeFindCoordinatorResponse, 4, { ...v4, coordinators: [coordinatorG] })).toEqual(
        v4Response,
      );
      expect(decodeAll(decodeFindCoordinatorResponse, v4Response, 4).coordinators).toEqual([coordinatorG]);
    });

    it('v4 request carries key_type then compact coordinator_keys', () => {
      const bytes = hex('00  03 02 67 02 68  00'); // key_type 0, ["g", "h"], tags
      const req = { key: '', keyType: 0, coordinatorKeys: ['g', 'h'] };
      expect(encode(encodeFindCoordinatorRequest, 4, req)).toEqual(bytes);
      expect(decodeAll(decodeFindCoordinatorRequest, bytes, 4)).toEqual(req);
    });

    it('v3 is flexible but still single-key', () => {
      const bytes = hex('02 67  01  00'); // key "g", key_type 1 (transaction), tags
      expect(decodeAll(decodeFindCoordinatorRequest, bytes, 3)).toEqual({
        key: 'g',
        keyType: 1,
        coordinatorKeys: [],
      });
    });
  });

  describe('kafkajs interop', () => {
    it('v0 request (groupId only) decodes', async () => {
      const body = await kafkajs('findCoordinator', 0).encodeRequest({ groupId: 'group-a' });
      expect(decodeAll(decodeFindCoordinatorRequest, body, 0)).toEqual({
        key: 'group-a',
        keyType: 0,
        coordinatorKeys: [],
      });
    });

    it.each([1, 2])('v%i request decodes', async (v) => {
      const body = await kafkajs('findCoordinator', v).encodeRequest({
        groupId: 'tx-1',
        coordinatorType: 1,
      });
      expect(decodeAll(decodeFindCoordinatorRequest, body, v)).toEqual({
        key: 'tx-1',
        keyType: 1,
        coordinatorKeys: [],
      });
    });

    it.each([0, 1, 2])('v%i response is read by kafkajs', async (v) => {
      const res = {
        throttleTimeMs: 7,
        errorCode: 0,
        errorMessage: null,
        nodeId: 3,
        host: 'broker.local',
        port: 19092,
        coordinators: [],
      };
      const decoded = await kafkajs('findCoordinator', v).decodeResponse<Record<string, unknown>>(
        encode(encodeFindCoordinatorResponse, v, res),
      );
      expect(decoded).toMatchObject({
        errorCode: 0,
        coordinator: { nodeId: 3, host: 'broker.local', port: 19092 },
      });
      if (v === 1) expect(decoded).toMatchObject({ throttleTime: 7, errorMessage: null });
      if (v === 2) expect(decoded).toMatchObject({ clientSideThrottleTime: 7 });
    });
  });
});
