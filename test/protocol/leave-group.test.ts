import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLeaveGroupRequest,
  decodeLeaveGroupResponse,
  encodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
  LeaveGroupApi,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
} from '../../src/protocol/apis/leave-group.js';
import {
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
  memberId: str,
  members: list(fc.record({ memberId: str, groupInstanceId: nullableStr })),
});

const response = fc.record({
  throttleTimeMs: int32,
  errorCode: int16,
  members: list(fc.record({ memberId: str, groupInstanceId: nullableStr, errorCode: int16 })),
});

const projectRequest = (req: LeaveGroupRequest, v: number): LeaveGroupRequest => ({
  groupId: req.groupId,
  memberId: v <= 2 ? req.memberId : '',
  members: v >= 3 ? req.members : [],
});

const projectResponse = (res: LeaveGroupResponse, v: number): LeaveGroupResponse => ({
  throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
  errorCode: res.errorCode,
  members: v >= 3 ? res.members : [],
});

describe('LeaveGroup', () => {
  codecSuite(
    {
      spec: LeaveGroupApi,
      decodeRequest: decodeLeaveGroupRequest,
      encodeRequest: encodeLeaveGroupRequest,
      decodeResponse: decodeLeaveGroupResponse,
      encodeResponse: encodeLeaveGroupResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    it('v3 request replaces member_id with a members batch', () => {
      const bytes = hex('0001 67  00000002  0002 6d31 ffff  0002 6d32 0002 6932');
      const req = {
        groupId: 'g',
        memberId: '',
        members: [
          { memberId: 'm1', groupInstanceId: null },
          { memberId: 'm2', groupInstanceId: 'i2' },
        ],
      };
      expect(encode(encodeLeaveGroupRequest, 3, req)).toEqual(bytes);
      expect(decodeAll(decodeLeaveGroupRequest, bytes, 3)).toEqual(req);
    });

    it('v4 response has compact members with their own tagged fields', () => {
      const bytes = hex('00000000 0000  02  03 6d31 00 0019 00  00');
      const res = {
        throttleTimeMs: 0,
        errorCode: 0,
        members: [{ memberId: 'm1', groupInstanceId: null, errorCode: 25 }],
      };
      expect(encode(encodeLeaveGroupResponse, 4, res)).toEqual(bytes);
      expect(decodeAll(decodeLeaveGroupResponse, bytes, 4)).toEqual(res);
    });
  });

  describe('kafkajs interop', () => {
    it.each([0, 1, 2, 3])('v%i request decodes', async (v) => {
      const body = await kafkajs('leaveGroup', v).encodeRequest({
        groupId: 'billing',
        memberId: 'billing-1',
        groupInstanceId: 'static-1',
      });
      expect(decodeAll(decodeLeaveGroupRequest, body, v)).toEqual(
        v <= 2
          ? { groupId: 'billing', memberId: 'billing-1', members: [] }
          : {
              groupId: 'billing',
              memberId: '',
              members: [{ memberId: 'billing-1', groupInstanceId: 'static-1' }],
            },
      );
    });

    it.each([0, 1, 2, 3])('v%i response is read by kafkajs', async (v) => {
      const res = {
        throttleTimeMs: 6,
        errorCode: 0,
        members: [{ memberId: 'billing-1', groupInstanceId: 'static-1', errorCode: 0 }],
      };
      const decoded = await kafkajs('leaveGroup', v).decodeResponse<Record<string, unknown>>(
        encode(encodeLeaveGroupResponse, v, res),
      );
      expect(decoded.errorCode).toBe(0);
      if (v >= 1) expect(kafkajsThrottle(decoded)).toBe(6);
      if (v >= 3) expect(decoded.members).toEqual(res.members);
    });
  });
});
