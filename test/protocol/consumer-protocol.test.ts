import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConsumerAssignment,
  type ConsumerSubscription,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
} from '../../src/protocol/consumer-protocol.js';
import { MalformedFrameError } from '../../src/protocol/reader.js';
import { hex, int32, list, str } from './group-api-harness.js';

const requireCjs = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = requireCjs('kafkajs/src/consumer/assignerProtocol.js') as {
  MemberMetadata: {
    encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer;
    decode(b: Buffer): { version: number; topics: string[]; userData: Buffer | null };
  };
  MemberAssignment: {
    encode(a: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
    decode(
      b: Buffer,
    ): { version: number; assignment: Record<string, number[]>; userData: Buffer | null } | null;
  };
};

const userData = fc.option(
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const topicPartitions = list(fc.record({ topic: str, partitions: list(int32) }));
const version = fc.constantFrom(0, 1);

const subscription = fc.record({ version, topics: list(str), userData, ownedPartitions: topicPartitions });
const assignment = fc.record({ version, assignedPartitions: topicPartitions, userData });

function onlyMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MalformedFrameError)) throw err;
  }
}

describe('consumer protocol', () => {
  describe('subscription', () => {
    it('round-trips v0 and v1 (owned partitions only from v1)', () => {
      fc.assert(
        fc.property(subscription, (s) => {
          const expected: ConsumerSubscription = {
            ...s,
            ownedPartitions: s.version >= 1 ? s.ownedPartitions : [],
          };
          expect(decodeConsumerSubscription(encodeConsumerSubscription(s))).toEqual(expected);
        }),
      );
    });

    it('golden v1 bytes', () => {
      const bytes = hex(`
        0001                          # version 1
        00000002 0001 61 0001 62      # topics ["a", "b"]
        ffffffff                      # user_data null
        00000001 0001 61 00000002 00000000 00000003   # owned: a -> [0, 3]
      `);
      const s: ConsumerSubscription = {
        version: 1,
        topics: ['a', 'b'],
        userData: null,
        ownedPartitions: [{ topic: 'a', partitions: [0, 3] }],
      };
      expect(encodeConsumerSubscription(s)).toEqual(bytes);
      expect(decodeConsumerSubscription(bytes)).toEqual(s);
    });

    it('reads a newer version (v3: generation_id, rack_id appended) with the v1 layout', () => {
      const v3 = hex(`
        0003  00000001 0001 61  00000000  00000000   # version 3, ["a"], user_data empty, owned []
        00000007  0004 72616b31                     # generation_id 7, rack_id "rak1"
      `);
      expect(decodeConsumerSubscription(v3)).toEqual({
        version: 3,
        topics: ['a'],
        userData: Buffer.alloc(0),
        ownedPartitions: [],
      });
    });

    it('encodes only the versions it knows', () => {
      expect(() =>
        encodeConsumerSubscription({ version: 2, topics: [], userData: null, ownedPartitions: [] }),
      ).toThrow(RangeError);
    });

    it('kafkajs MemberMetadata is read, and reads ours', () => {
      const theirs = MemberMetadata.encode({
        version: 0,
        topics: ['orders', 'payments'],
        userData: Buffer.from('hi'),
      });
      expect(decodeConsumerSubscription(theirs)).toEqual({
        version: 0,
        topics: ['orders', 'payments'],
        userData: Buffer.from('hi'),
        ownedPartitions: [],
      });
      const ours = encodeConsumerSubscription({
        version: 1,
        topics: ['orders'],
        userData: Buffer.alloc(0),
        ownedPartitions: [{ topic: 'orders', partitions: [1] }],
      });
      expect(MemberMetadata.decode(ours)).toEqual({
        version: 1,
        topics: ['orders'],
        userData: Buffer.alloc(0),
      });
    });

    it('rejects malformed input only with MalformedFrameError', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (raw) =>
          onlyMalformed(() => decodeConsumerSubscription(Buffer.from(raw))),
        ),
      );
      fc.assert(
        fc.property(subscription, (s) => {
          const buf = encodeConsumerSubscription(s);
          for (let n = 0; n < buf.length; n++) {
            expect(() => decodeConsumerSubscription(buf.subarray(0, n))).toThrow(MalformedFrameError);
          }
        }),
        { numRuns: 30 },
      );
      expect(() => decodeConsumerSubscription(hex('ffff 00000000 ffffffff'))).toThrow(MalformedFrameError);
    });
  });

  describe('assignment', () => {
    it('round-trips v0 and v1', () => {
      fc.assert(
        fc.property(assignment, (a) => {
          expect(decodeConsumerAssignment(encodeConsumerAssignment(a))).toEqual(a);
        }),
      );
    });

    it('golden v0 bytes', () => {
      const bytes = hex('0000  00000001 0001 74 00000002 00000000 00000001  00000000');
      const a: ConsumerAssignment = {
        version: 0,
        assignedPartitions: [{ topic: 't', partitions: [0, 1] }],
        userData: Buffer.alloc(0),
      };
      expect(encodeConsumerAssignment(a)).toEqual(bytes);
      expect(decodeConsumerAssignment(bytes)).toEqual(a);
    });

    it('an empty buffer is an empty assignment', () => {
      expect(decodeConsumerAssignment(Buffer.alloc(0))).toEqual({
        version: 0,
        assignedPartitions: [],
        userData: null,
      });
    });

    it('tolerates trailing bytes from newer versions', () => {
      const bytes = hex('0003  00000000  ffffffff  deadbeef');
      expect(decodeConsumerAssignment(bytes)).toEqual({ version: 3, assignedPartitions: [], userData: null });
    });

    it('kafkajs MemberAssignment is read, and reads ours', () => {
      const theirs = MemberAssignment.encode({ version: 1, assignment: { orders: [0, 2], payments: [1] } });
      expect(decodeConsumerAssignment(theirs)).toEqual({
        version: 1,
        assignedPartitions: [
          { topic: 'orders', partitions: [0, 2] },
          { topic: 'payments', partitions: [1] },
        ],
        userData: Buffer.alloc(0),
      });
      const ours = encodeConsumerAssignment({
        version: 0,
        assignedPartitions: [{ topic: 'orders', partitions: [3, 4] }],
        userData: null,
      });
      expect(MemberAssignment.decode(ours)).toEqual({
        version: 0,
        assignment: { orders: [3, 4] },
        userData: null,
      });
    });

    it('rejects malformed input only with MalformedFrameError', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (raw) =>
          onlyMalformed(() => decodeConsumerAssignment(Buffer.from(raw))),
        ),
      );
      fc.assert(
        fc.property(assignment, (a) => {
          const buf = encodeConsumerAssignment(a);
          for (let n = 1; n < buf.length; n++) {
            expect(() => decodeConsumerAssignment(buf.subarray(0, n))).toThrow(MalformedFrameError);
          }
        }),
        { numRuns: 30 },
      );
    });
  });
});
