import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  DescribeGroupsApi,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  decodeDescribeGroupsRequest,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
} from '../../src/protocol/apis/describe-groups.js';
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

const request = fc.record({ groups: list(str), includeAuthorizedOperations: fc.boolean() });

const member = fc.record({
  memberId: str,
  groupInstanceId: nullableStr,
  clientId: str,
  clientHost: str,
  memberMetadata: bytes,
  memberAssignment: bytes,
});

const response = fc.record({
  throttleTimeMs: int32,
  groups: list(
    fc.record({
      errorCode: int16,
      groupId: str,
      groupState: str,
      protocolType: str,
      protocolData: str,
      members: list(member),
      authorizedOperations: int32,
    }),
  ),
});

const projectRequest = (req: DescribeGroupsRequest, v: number): DescribeGroupsRequest => ({
  groups: req.groups,
  includeAuthorizedOperations: v >= 3 ? req.includeAuthorizedOperations : false,
});

const projectResponse = (res: DescribeGroupsResponse, v: number): DescribeGroupsResponse => ({
  throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
  groups: res.groups.map((g) => ({
    ...g,
    members: g.members.map((m) => ({ ...m, groupInstanceId: v >= 4 ? m.groupInstanceId : null })),
    authorizedOperations: v >= 3 ? g.authorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
  })),
});

describe('DescribeGroups', () => {
  codecSuite(
    {
      spec: DescribeGroupsApi,
      decodeRequest: decodeDescribeGroupsRequest,
      encodeRequest: encodeDescribeGroupsRequest,
      decodeResponse: decodeDescribeGroupsResponse,
      encodeResponse: encodeDescribeGroupsResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    it('v5 response: compact, instance id, authorized operations, nested tags', () => {
      const bytes = hex(`
        00000000                      # throttle
        02                            # groups: 1
          0000  02 67                 #   error 0, group_id "g"
          07 53746162 6c65            #   group_state "Stable"
          09 636f6e73756d6572         #   protocol_type "consumer"
          06 72616e6765               #   protocol_data "range"
          02                          #   members: 1
            03 6d31  03 6931          #     member_id "m1", group_instance_id "i1"
            03 6331  0b 2f3132372e302e302e31   # client_id "c1", client_host "/127.0.0.1"
            02 aa  01                 #     metadata [aa], assignment []
            00                        #     tags
          80000000                    #   authorized_operations omitted
          00                          #   tags
        00                            # tags
      `);
      const res: DescribeGroupsResponse = {
        throttleTimeMs: 0,
        groups: [
          {
            errorCode: 0,
            groupId: 'g',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'range',
            members: [
              {
                memberId: 'm1',
                groupInstanceId: 'i1',
                clientId: 'c1',
                clientHost: '/127.0.0.1',
                memberMetadata: Buffer.from([0xaa]),
                memberAssignment: Buffer.alloc(0),
              },
            ],
            authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
          },
        ],
      };
      expect(encode(encodeDescribeGroupsResponse, 5, res)).toEqual(bytes);
      expect(decodeAll(decodeDescribeGroupsResponse, bytes, 5)).toEqual(res);
    });

    it('v3 request adds include_authorized_operations', () => {
      const bytes = hex('00000001 0001 67 01');
      expect(decodeAll(decodeDescribeGroupsRequest, bytes, 3)).toEqual({
        groups: ['g'],
        includeAuthorizedOperations: true,
      });
    });
  });

  describe('kafkajs interop', () => {
    it.each([0, 1, 2])('v%i request decodes', async (v) => {
      const body = await kafkajs('describeGroups', v).encodeRequest({ groupIds: ['billing', 'audit'] });
      expect(decodeAll(decodeDescribeGroupsRequest, body, v)).toEqual({
        groups: ['billing', 'audit'],
        includeAuthorizedOperations: false,
      });
    });

    it.each([0, 1, 2])('v%i response is read by kafkajs', async (v) => {
      const res: DescribeGroupsResponse = {
        throttleTimeMs: 1,
        groups: [
          {
            errorCode: 0,
            groupId: 'billing',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'RoundRobinAssigner',
            members: [
              {
                memberId: 'billing-1',
                groupInstanceId: null,
                clientId: 'app',
                clientHost: '/10.0.0.1',
                memberMetadata: Buffer.from([0, 0]),
                memberAssignment: Buffer.from([0, 1]),
              },
            ],
            authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
          },
        ],
      };
      const decoded = await kafkajs('describeGroups', v).decodeResponse<Record<string, unknown>>(
        encode(encodeDescribeGroupsResponse, v, res),
      );
      expect(decoded.groups).toEqual([
        {
          errorCode: 0,
          groupId: 'billing',
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'RoundRobinAssigner',
          members: [
            {
              memberId: 'billing-1',
              clientId: 'app',
              clientHost: '/10.0.0.1',
              memberMetadata: Buffer.from([0, 0]),
              memberAssignment: Buffer.from([0, 1]),
            },
          ],
        },
      ]);
      if (v >= 1) expect(kafkajsThrottle(decoded)).toBe(1);
    });
  });
});
