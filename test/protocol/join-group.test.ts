import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJoinGroupRequest,
  decodeJoinGroupResponse,
  encodeJoinGroupRequest,
  encodeJoinGroupResponse,
  JoinGroupApi,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../src/protocol/apis/join-group.js';
import { decodeConsumerSubscription } from '../../src/protocol/consumer-protocol.js';
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
  sessionTimeoutMs: int32,
  rebalanceTimeoutMs: int32,
  memberId: str,
  groupInstanceId: nullableStr,
  protocolType: str,
  protocols: list(fc.record({ name: str, metadata: bytes })),
});

const response = fc.record({
  throttleTimeMs: int32,
  errorCode: int16,
  generationId: int32,
  protocolName: str,
  leader: str,
  memberId: str,
  members: list(fc.record({ memberId: str, groupInstanceId: nullableStr, metadata: bytes })),
});

const projectRequest = (req: JoinGroupRequest, v: number): JoinGroupRequest => ({
  ...req,
  rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
  groupInstanceId: v >= 5 ? req.groupInstanceId : null,
});

const projectResponse = (res: JoinGroupResponse, v: number): JoinGroupResponse => ({
  ...res,
  throttleTimeMs: v >= 2 ? res.throttleTimeMs : 0,
  members: res.members.map((m) => ({ ...m, groupInstanceId: v >= 5 ? m.groupInstanceId : null })),
});

const requireCjs = createRequire(import.meta.url);
const { MemberMetadata } = requireCjs('kafkajs/src/consumer/assignerProtocol.js') as {
  MemberMetadata: { encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer };
};

describe('JoinGroup', () => {
  codecSuite(
    {
      spec: JoinGroupApi,
      decodeRequest: decodeJoinGroupRequest,
      encodeRequest: encodeJoinGroupRequest,
      decodeResponse: decodeJoinGroupResponse,
      encodeResponse: encodeJoinGroupResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  // A first join as kafkajs 2.2.4 sends it: no member id yet, no static membership.
  const v5Request = hex(`
    0001 67                                     # group_id "g"
    00007530                                    # session_timeout_ms 30000
    0000ea60                                    # rebalance_timeout_ms 60000
    0000                                        # member_id ""
    ffff                                        # group_instance_id null
    0008 636f6e73756d6572                       # protocol_type "consumer"
    00000001                                    # protocols: 1
      0012 526f756e64526f62696e41737369676e6572 #   name "RoundRobinAssigner"
      0000000d                                  #   metadata: 13 bytes of MemberMetadata v0
        0000 00000001 0001 74 00000000          #     version 0, topics ["t"], user_data empty
  `);
  const v5Value: JoinGroupRequest = {
    groupId: 'g',
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: 60000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'RoundRobinAssigner', metadata: hex('0000 00000001 0001 74 00000000') }],
  };

  describe('golden bytes', () => {
    it('v5 request', () => {
      expect(encode(encodeJoinGroupRequest, 5, v5Value)).toEqual(v5Request);
      expect(decodeAll(decodeJoinGroupRequest, v5Request, 5)).toEqual(v5Value);
    });

    it('v6 response is compact with per-member tagged fields', () => {
      const bytes = hex(`
        00000000 0000 00000002        # throttle 0, error 0, generation 2
        06 72616e6765                 # protocol_name "range"
        03 6d31 03 6d31               # leader "m1", member_id "m1"
        02                            # members: 1
          03 6d31 03 6931 02 ff 00    #   "m1", instance "i1", metadata [ff], tags
        00                            # tags
      `);
      const res: JoinGroupResponse = {
        throttleTimeMs: 0,
        errorCode: 0,
        generationId: 2,
        protocolName: 'range',
        leader: 'm1',
        memberId: 'm1',
        members: [{ memberId: 'm1', groupInstanceId: 'i1', metadata: Buffer.from([0xff]) }],
      };
      expect(encode(encodeJoinGroupResponse, 6, res)).toEqual(bytes);
      expect(decodeAll(decodeJoinGroupResponse, bytes, 6)).toEqual(res);
    });

    it('decoded metadata is a copy, not a view into the frame', () => {
      const frame = Buffer.from(v5Request);
      const req = decodeAll(decodeJoinGroupRequest, frame, 5);
      frame.fill(0);
      expect(req.protocols[0].metadata).toEqual(v5Value.protocols[0].metadata);
    });
  });

  describe('kafkajs interop', () => {
    const metadata = MemberMetadata.encode({ version: 0, topics: ['orders', 'payments'] });
    const args = {
      groupId: 'billing',
      sessionTimeout: 10000,
      rebalanceTimeout: 45000,
      memberId: 'billing-1',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      groupProtocols: [
        { name: 'RoundRobinAssigner', metadata },
        { name: 'other', metadata: Buffer.alloc(0) },
      ],
    };

    it('kafkajs v5 encodes the golden first join', async () => {
      const body = await kafkajs('joinGroup', 5).encodeRequest({
        groupId: 'g',
        sessionTimeout: 30000,
        rebalanceTimeout: 60000,
        memberId: '',
        protocolType: 'consumer',
        groupProtocols: [
          { name: 'RoundRobinAssigner', metadata: MemberMetadata.encode({ version: 0, topics: ['t'] }) },
        ],
      });
      expect(body).toEqual(v5Request);
    });

    it.each([0, 1, 2, 3, 4, 5])('v%i request decodes, subscription included', async (v) => {
      const req = decodeAll(decodeJoinGroupRequest, await kafkajs('joinGroup', v).encodeRequest(args), v);
      expect(req).toEqual({
        groupId: 'billing',
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: v >= 1 ? 45000 : -1,
        memberId: 'billing-1',
        groupInstanceId: v >= 5 ? 'static-1' : null,
        protocolType: 'consumer',
        protocols: [
          { name: 'RoundRobinAssigner', metadata },
          { name: 'other', metadata: Buffer.alloc(0) },
        ],
      });
      expect(decodeConsumerSubscription(req.protocols[0].metadata).topics).toEqual(['orders', 'payments']);
    });

    it.each([0, 1, 2, 3, 4, 5])('v%i response is read by kafkajs', async (v) => {
      const res: JoinGroupResponse = {
        throttleTimeMs: 3,
        errorCode: 0,
        generationId: 9,
        protocolName: 'RoundRobinAssigner',
        leader: 'billing-1',
        memberId: 'billing-2',
        members: [
          { memberId: 'billing-1', groupInstanceId: 'static-1', metadata },
          { memberId: 'billing-2', groupInstanceId: null, metadata: Buffer.from([1, 2]) },
        ],
      };
      const decoded = await kafkajs('joinGroup', v).decodeResponse<Record<string, unknown>>(
        encode(encodeJoinGroupResponse, v, res),
      );
      expect(decoded).toMatchObject({
        errorCode: 0,
        generationId: 9,
        groupProtocol: 'RoundRobinAssigner',
        leaderId: 'billing-1',
        memberId: 'billing-2',
        members: [
          { memberId: 'billing-1', memberMetadata: metadata },
          { memberId: 'billing-2', memberMetadata: Buffer.from([1, 2]) },
        ],
      });
      if (v >= 5) {
        expect(decoded).toMatchObject({
          members: [{ groupInstanceId: 'static-1' }, { groupInstanceId: null }],
        });
      }
      if (v >= 2) expect(kafkajsThrottle(decoded)).toBe(3);
    });
  });
});
