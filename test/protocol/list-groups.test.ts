import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeListGroupsRequest,
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  encodeListGroupsResponse,
  ListGroupsApi,
  type ListGroupsRequest,
  type ListGroupsResponse,
} from '../../src/protocol/apis/list-groups.js';
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
  str,
} from './group-api-harness.js';

const request = fc.record({ statesFilter: list(str) });
const response = fc.record({
  throttleTimeMs: int32,
  errorCode: int16,
  groups: list(fc.record({ groupId: str, protocolType: str, groupState: str })),
});

const projectRequest = (req: ListGroupsRequest, v: number): ListGroupsRequest => ({
  statesFilter: v >= 4 ? req.statesFilter : [],
});

const projectResponse = (res: ListGroupsResponse, v: number): ListGroupsResponse => ({
  throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
  errorCode: res.errorCode,
  groups: res.groups.map((g) => ({ ...g, groupState: v >= 4 ? g.groupState : '' })),
});

describe('ListGroups', () => {
  codecSuite(
    {
      spec: ListGroupsApi,
      decodeRequest: decodeListGroupsRequest,
      encodeRequest: encodeListGroupsRequest,
      decodeResponse: decodeListGroupsResponse,
      encodeResponse: encodeListGroupsResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    it('v0-2 requests are empty, v3 is only a tag section, v4 adds states_filter', () => {
      expect(encode(encodeListGroupsRequest, 2, { statesFilter: ['Stable'] })).toEqual(Buffer.alloc(0));
      expect(encode(encodeListGroupsRequest, 3, { statesFilter: ['Stable'] })).toEqual(hex('00'));
      expect(encode(encodeListGroupsRequest, 4, { statesFilter: ['Stable'] })).toEqual(
        hex('02 07 537461626c65 00'),
      );
    });

    it('v4 response adds group_state', () => {
      const bytes = hex('00000000 0000  02  02 67 09 636f6e73756d6572 06 456d707479 00  00');
      const res = {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Empty' }],
      };
      expect(encode(encodeListGroupsResponse, 4, res)).toEqual(bytes);
      expect(decodeAll(decodeListGroupsResponse, bytes, 4)).toEqual(res);
    });
  });

  describe('kafkajs interop', () => {
    it.each([0, 1, 2])('v%i request decodes', async (v) => {
      const body = await kafkajs('listGroups', v).encodeRequest({});
      expect(decodeAll(decodeListGroupsRequest, body, v)).toEqual({ statesFilter: [] });
    });

    it.each([0, 1, 2])('v%i response is read by kafkajs', async (v) => {
      const res = {
        throttleTimeMs: 2,
        errorCode: 0,
        groups: [
          { groupId: 'billing', protocolType: 'consumer', groupState: 'Stable' },
          { groupId: 'connect', protocolType: '', groupState: 'Empty' },
        ],
      };
      const decoded = await kafkajs('listGroups', v).decodeResponse<Record<string, unknown>>(
        encode(encodeListGroupsResponse, v, res),
      );
      expect(decoded).toMatchObject({
        errorCode: 0,
        groups: [
          { groupId: 'billing', protocolType: 'consumer' },
          { groupId: 'connect', protocolType: '' },
        ],
      });
      if (v >= 1) expect(kafkajsThrottle(decoded)).toBe(2);
    });
  });
});
