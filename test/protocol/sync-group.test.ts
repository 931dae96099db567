import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSyncGroupRequest,
  decodeSyncGroupResponse,
  encodeSyncGroupRequest,
  encodeSyncGroupResponse,
  SyncGroupApi,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../src/protocol/apis/sync-group.js';
import { decodeConsumerAssignment } from '../../src/protocol/consumer-protocol.js';
import {
  bytes,
  codecSuite,
  decodeAll,
  encode,
  hex,
  int16,
  int32,
  kafkajs,
  kafkajsThrottle,
  list,
  nullableStr,
  str,
} from './group-api-harness.js';

const request = fc.record({
  groupId: str,
  generationId: int32,
  memberId: str,
  groupInstanceId: nullableStr,
  assignments: list(fc.record({ memberId: str, assignment: bytes })),
});

const response = fc.record({ throttleTimeMs: int32, errorCode: int16, assignment: bytes });

const projectRequest = (req: SyncGroupRequest, v: number): SyncGroupRequest => ({
  ...req,
  groupInstanceId: v >= 3 ? req.groupInstanceId : null,
});

const projectResponse = (res: SyncGroupResponse, v: number): SyncGroupResponse => ({
  ...res,
  throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
});

const requireCjs = createRequire(import.meta.url);
const { MemberAssignment } = requireCjs('kafkajs/src/consumer/assignerProtocol.js') as {
  MemberAssignment: { encode(a: { version: number; assignment: Record<string, number[]> }): Buffer };
};

describe('SyncGroup', () => {
  codecSuite(
    {
      spec: SyncGroupApi,
      decodeRequest: decodeSyncGroupRequest,
      encodeRequest: encodeSyncGroupRequest,
      decodeResponse: decodeSyncGroupResponse,
      encodeResponse: encodeSyncGroupResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    it('v3 request adds group_instance_id after member_id', () => {
      const bytes = hex(`
        0001 67  00000004  0002 6d31  0002 6931   # "g", generation 4, member "m1", instance "i1"
        00000001  0002 6d31  00000002 abcd        # assignments: "m1" -> [ab cd]
      `);
      const req: SyncGroupRequest = {
        groupId: 'g',
        generationId: 4,
        memberId: 'm1',
        groupInstanceId: 'i1',
        assignments: [{ memberId: 'm1', assignment: Buffer.from([0xab, 0xcd]) }],
      };
      expect(encode(encodeSyncGroupRequest, 3, req)).toEqual(bytes);
      expect(decodeAll(decodeSyncGroupRequest, bytes, 3)).toEqual(req);
    });

    it('v4 response is compact', () => {
      const bytes = hex('00000000 0000 03 abcd 00'); // throttle, error, assignment [ab cd], tags
      const res = { throttleTimeMs: 0, errorCode: 0, assignment: Buffer.from([0xab, 0xcd]) };
      expect(encode(encodeSyncGroupResponse, 4, res)).toEqual(bytes);
      expect(decodeAll(decodeSyncGroupResponse, bytes, 4)).toEqual(res);
    });
  });

  describe('kafkajs interop', () => {
    const leaderAssignment = MemberAssignment.encode({
      version: 0,
      assignment: { orders: [0, 2], payments: [1] },
    });
    const args = {
      groupId: 'billing',
      generationId: 5,
      memberId: 'billing-1',
      groupInstanceId: 'static-1',
      groupAssignment: [
        { memberId: 'billing-1', memberAssignment: leaderAssignment },
        { memberId: 'billing-2', memberAssignment: Buffer.alloc(0) },
      ],
    };

    it.each([0, 1, 2, 3])('v%i request from the leader decodes', async (v) => {
      const req = decodeAll(decodeSyncGroupRequest, await kafkajs('syncGroup', v).encodeRequest(args), v);
      expect(req).toEqual({
        groupId: 'billing',
        generationId: 5,
        memberId: 'billing-1',
        groupInstanceId: v >= 3 ? 'static-1' : null,
        assignments: [
          { memberId: 'billing-1', assignment: leaderAssignment },
          { memberId: 'billing-2', assignment: Buffer.alloc(0) },
        ],
      });
      expect(decodeConsumerAssignment(req.assignments[0].assignment).assignedPartitions).toEqual([
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'payments', partitions: [1] },
      ]);
    });

    it.each([0, 1, 2, 3])('v%i response is read by kafkajs', async (v) => {
      const res = { throttleTimeMs: 4, errorCode: 0, assignment: leaderAssignment };
      const decoded = await kafkajs('syncGroup', v).decodeResponse<Record<string, unknown>>(
        encode(encodeSyncGroupResponse, v, res),
      );
      expect(decoded).toMatchObject({ errorCode: 0, memberAssignment: leaderAssignment });
      if (v >= 1) expect(kafkajsThrottle(decoded)).toBe(4);
    });
  });
});
