/**
 * Fuzz cases for the broker, as fast-check arbitraries: for one (api, version), a whole request
 * frame (size prefix included) of one of these kinds:
 *
 *   valid     a request encoded with mq's own codecs from generated field values;
 *   mutated   a valid request whose bytes after the size prefix were flipped, overwritten with
 *             "interesting" integers (huge and negative array counts, string and bytes lengths,
 *             oversized varints), inserted, deleted, duplicated or truncated; the size prefix
 *             is then made true again, so the stream stays in step;
 *   random    a header for the (api, version) followed by random bytes;
 *   header    random api key, version and client id length (unknown APIs, unsupported versions,
 *             lying client id lengths);
 *   lying     a valid request whose size prefix lies (too long, too short, negative, tiny,
 *             huge): the stream is out of step afterwards, so it is the last frame sent on its
 *             connection.
 *
 * Field values stay in ranges that keep a valid request quick (fetch waits of at most 50 ms,
 * topics of 1..3 partitions, a small pool of topic and group names), so the cases exercise
 * decoding and handlers, not timers.
 */
import fc from 'fast-check';
import type { ApiSpec } from '../../src/protocol/apis/api.js';
import { isFlexible } from '../../src/protocol/apis/api.js';
import { encodeApiVersionsRequest } from '../../src/protocol/apis/api-versions.js';
import { encodeCreateTopicsRequest } from '../../src/protocol/apis/create-topics.js';
import { encodeDeleteTopicsRequest } from '../../src/protocol/apis/delete-topics.js';
import { encodeDescribeGroupsRequest } from '../../src/protocol/apis/describe-groups.js';
import { encodeFetchRequest } from '../../src/protocol/apis/fetch.js';
import { encodeFindCoordinatorRequest } from '../../src/protocol/apis/find-coordinator.js';
import { encodeHeartbeatRequest } from '../../src/protocol/apis/heartbeat.js';
import { encodeInitProducerIdRequest } from '../../src/protocol/apis/init-producer-id.js';
import { encodeJoinGroupRequest } from '../../src/protocol/apis/join-group.js';
import { encodeLeaveGroupRequest } from '../../src/protocol/apis/leave-group.js';
import { encodeListGroupsRequest } from '../../src/protocol/apis/list-groups.js';
import { encodeListOffsetsRequest } from '../../src/protocol/apis/list-offsets.js';
import { encodeMetadataRequest } from '../../src/protocol/apis/metadata.js';
import { encodeOffsetCommitRequest } from '../../src/protocol/apis/offset-commit.js';
import { encodeOffsetFetchRequest } from '../../src/protocol/apis/offset-fetch.js';
import { encodeProduceRequest } from '../../src/protocol/apis/produce.js';
import { encodeSyncGroupRequest } from '../../src/protocol/apis/sync-group.js';
import { encodeRequestHeader } from '../../src/protocol/header.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { Writer } from '../../src/protocol/writer.js';

/** The topic the fuzzer creates first (3 partitions) so valid requests find data and logs. */
export const FUZZ_TOPIC = 'fuzz-t';

export type CaseKind = 'valid' | 'mutated' | 'random' | 'header' | 'lying';

export interface FuzzCase {
  kind: CaseKind;
  apiKey: number;
  version: number;
  /** The whole frame, size prefix included. */
  bytes: Buffer;
}

export interface ApiRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

type Body = (w: Writer) => void;

const topicName = fc.oneof(
  { weight: 6, arbitrary: fc.constant(FUZZ_TOPIC) },
  { weight: 3, arbitrary: fc.constantFrom('fz-a', 'fz-b', 'fz-c', 'fz.a', 'fz_a') },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9._-]{0,8}$/).map((s) => `fz-${s}`) },
);
const groupId = fc.constantFrom('g1', 'g2', 'g3', 'fuzz-group', '');
const memberId = fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }));
const shortString = fc.string({ maxLength: 16 });
const partition = fc.integer({ min: -1, max: 4 });
const offset = fc.oneof(fc.integer({ min: -2, max: 100 }), fc.maxSafeNat());
const records = fc
  .array(fc.tuple(fc.option(fc.uint8Array({ maxLength: 16 })), fc.uint8Array({ maxLength: 64 })), {
    minLength: 1,
    maxLength: 3,
  })
  .map((rs) =>
    encodeRecordBatch({
      records: rs.map(([k, v]) => ({ key: k ? Buffer.from(k) : null, value: Buffer.from(v), headers: [] })),
      compression: 'none',
    }),
  );

/** Generated field values for one request of (api, version), as the body encoder. */
function bodyArb(apiKey: number, v: number): fc.Arbitrary<Body> {
  switch (apiKey) {
    case 0:
      return fc
        .record({
          acks: fc.constantFrom(-1, 1, 0, 2),
          topic: topicName,
          partition,
          records: fc.option(records, { freq: 10 }),
        })
        .map(
          (x) => (w: Writer) =>
            encodeProduceRequest(w, v, {
              transactionalId: null,
              acks: x.acks,
              timeoutMs: 5000,
              topicData: [{ name: x.topic, partitionData: [{ index: x.partition, records: x.records }] }],
            }),
        );
    case 1:
      return fc
        .record({
          topics: fc.array(
            fc.record({ topic: topicName, parts: fc.array(fc.tuple(partition, offset), { maxLength: 3 }) }),
            { maxLength: 3 },
          ),
          maxWaitMs: fc.integer({ min: 0, max: 50 }),
          minBytes: fc.integer({ min: 0, max: 1024 }),
          maxBytes: fc.integer({ min: 0, max: 1 << 20 }),
          sessionId: fc.constantFrom(0, 0, 0, 7),
        })
        .map(
          (x) => (w: Writer) =>
            encodeFetchRequest(w, v, {
              clusterId: null,
              replicaId: -1,
              maxWaitMs: x.maxWaitMs,
              minBytes: x.minBytes,
              maxBytes: x.maxBytes,
              isolationLevel: 0,
              sessionId: x.sessionId,
              sessionEpoch: -1,
              topics: x.topics.map((t) => ({
                topic: t.topic,
                topicId: null,
                partitions: t.parts.map(([p, o]) => ({
                  partition: p,
                  currentLeaderEpoch: -1,
                  fetchOffset: o,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1,
                  partitionMaxBytes: 65536,
                })),
              })),
              forgottenTopicsData: [],
              rackId: '',
            }),
        );
    case 2:
      return fc
        .array(fc.tuple(topicName, partition, fc.constantFrom(-1, -2, 0, Date.now())), { maxLength: 3 })
        .map(
          (parts) => (w: Writer) =>
            encodeListOffsetsRequest(w, v, {
              replicaId: -1,
              isolationLevel: 0,
              topics: parts.map(([name, p, ts]) => ({
                name,
                partitions: [{ partitionIndex: p, currentLeaderEpoch: -1, timestamp: ts }],
              })),
            }),
        );
    case 3:
      return fc.record({ topics: fc.option(fc.array(topicName, { maxLength: 3 })), auto: fc.boolean() }).map(
        (x) => (w: Writer) =>
          encodeMetadataRequest(w, v, {
            topics: x.topics === null ? null : x.topics.map((name) => ({ name })),
            allowAutoTopicCreation: x.auto,
            includeClusterAuthorizedOperations: false,
            includeTopicAuthorizedOperations: false,
          }),
      );
    case 8:
      return fc
        .record({
          group: groupId,
          generation: fc.constantFrom(-1, 0, 1),
          member: memberId,
          topic: topicName,
          partition,
          offset,
          metadata: fc.option(shortString),
        })
        .map(
          (x) => (w: Writer) =>
            encodeOffsetCommitRequest(w, v, {
              groupId: x.group,
              generationId: x.generation,
              memberId: x.member,
              groupInstanceId: null,
              retentionTimeMs: -1,
              topics: [
                {
                  name: x.topic,
                  partitions: [
                    {
                      partitionIndex: x.partition,
                      committedOffset: x.offset,
                      committedLeaderEpoch: -1,
                      commitTimestamp: -1,
                      committedMetadata: x.metadata,
                    },
                  ],
                },
              ],
            }),
        );
    case 9:
      return fc
        .record({
          group: groupId,
          topics: fc.option(fc.array(fc.tuple(topicName, partition), { maxLength: 2 })),
        })
        .map((x) => {
          const topics =
            x.topics === null ? null : x.topics.map(([name, p]) => ({ name, partitionIndexes: [p] }));
          return (w: Writer) =>
            encodeOffsetFetchRequest(w, v, {
              groupId: x.group,
              topics: v < 2 && topics === null ? [] : topics,
              groups: [{ groupId: x.group, topics }],
              requireStable: false,
            });
        });
    case 10:
      return fc
        .record({
          key: groupId,
          keyType: fc.constantFrom(0, 1, 5),
          keys: fc.array(groupId, { maxLength: 3 }),
        })
        .map(
          (x) => (w: Writer) =>
            encodeFindCoordinatorRequest(w, v, { key: x.key, keyType: x.keyType, coordinatorKeys: x.keys }),
        );
    case 11:
      return fc
        .record({
          // A fresh group per join: joining one with members parks the join until they rejoin
          // or the rebalance times out (the session timeout, at least 6 s, before v1).
          group: fc.oneof(
            { weight: 20, arbitrary: fc.stringMatching(/^jg-[a-z0-9]{10}$/) },
            { weight: 1, arbitrary: fc.constant('') },
          ),
          session: fc.integer({ min: 6000, max: 10_000 }),
          rebalance: fc.integer({ min: 1, max: 50 }),
          member: memberId,
          protocols: fc.array(
            fc.tuple(fc.constantFrom('range', 'roundrobin'), fc.uint8Array({ maxLength: 16 })),
            {
              maxLength: 2,
            },
          ),
        })
        .map(
          (x) => (w: Writer) =>
            encodeJoinGroupRequest(w, v, {
              groupId: x.group,
              sessionTimeoutMs: x.session,
              rebalanceTimeoutMs: x.rebalance,
              memberId: x.member,
              groupInstanceId: null,
              protocolType: 'consumer',
              protocols: x.protocols.map(([name, m]) => ({ name, metadata: Buffer.from(m) })),
            }),
        );
    case 12:
      return fc.record({ group: groupId, generation: fc.constantFrom(-1, 0, 1), member: memberId }).map(
        (x) => (w: Writer) =>
          encodeHeartbeatRequest(w, v, {
            groupId: x.group,
            generationId: x.generation,
            memberId: x.member,
            groupInstanceId: null,
          }),
      );
    case 13:
      return fc.record({ group: groupId, members: fc.array(memberId, { minLength: 1, maxLength: 3 }) }).map(
        (x) => (w: Writer) =>
          encodeLeaveGroupRequest(w, v, {
            groupId: x.group,
            memberId: x.members[0],
            members: x.members.map((m) => ({ memberId: m, groupInstanceId: null })),
          }),
      );
    case 14:
      return fc
        .record({
          group: groupId,
          generation: fc.constantFrom(-1, 0, 1),
          member: memberId,
          assignments: fc.array(fc.tuple(memberId, fc.uint8Array({ maxLength: 16 })), { maxLength: 2 }),
        })
        .map(
          (x) => (w: Writer) =>
            encodeSyncGroupRequest(w, v, {
              groupId: x.group,
              generationId: x.generation,
              memberId: x.member,
              groupInstanceId: null,
              assignments: x.assignments.map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })),
            }),
        );
    case 15:
      return fc
        .array(groupId, { maxLength: 3 })
        .map(
          (groups) => (w: Writer) =>
            encodeDescribeGroupsRequest(w, v, { groups, includeAuthorizedOperations: false }),
        );
    case 16:
      return fc
        .array(fc.constantFrom('Stable', 'Empty', 'dead', 'x'), { maxLength: 2 })
        .map((statesFilter) => (w: Writer) => encodeListGroupsRequest(w, v, { statesFilter }));
    case 18:
      return fc.tuple(fc.constantFrom('mq-fuzz', 'bad name!', ''), fc.constantFrom('1.0', '')).map(
        ([name, version]) =>
          (w: Writer) =>
            encodeApiVersionsRequest(w, v, { clientSoftwareName: name, clientSoftwareVersion: version }),
      );
    case 19:
      return fc
        .record({
          topics: fc.array(
            fc.record({
              name: fc.oneof(topicName, fc.stringMatching(/^fz-new-[a-z0-9]{1,6}$/)),
              partitions: fc.integer({ min: -1, max: 3 }),
              rf: fc.constantFrom(-1, 1, 3),
            }),
            { maxLength: 2 },
          ),
          validateOnly: fc.boolean(),
        })
        .map(
          (x) => (w: Writer) =>
            encodeCreateTopicsRequest(w, v, {
              topics: x.topics.map((t) => ({
                name: t.name,
                numPartitions: t.partitions,
                replicationFactor: t.rf,
                assignments: [],
                configs: [],
              })),
              timeoutMs: 5000,
              validateOnly: x.validateOnly,
            }),
        );
    case 20:
      // Never the fuzz topic itself, so valid requests keep finding it.
      return fc
        .array(fc.constantFrom('fz-a', 'fz-b', 'fz-c', 'fz.a', 'fz_a', 'no-such'), { maxLength: 2 })
        .map(
          (names) => (w: Writer) =>
            encodeDeleteTopicsRequest(w, v, {
              topics: names.map((name) => ({ name, topicId: null })),
              topicNames: names,
              timeoutMs: 5000,
            }),
        );
    case 22:
      return fc.record({ pid: fc.constantFrom(-1, -1, 0, 12345), epoch: fc.constantFrom(-1, 0, 5) }).map(
        (x) => (w: Writer) =>
          encodeInitProducerIdRequest(w, v, {
            transactionalId: null,
            transactionTimeoutMs: 60_000,
            producerId: x.pid,
            producerEpoch: x.epoch,
          }),
      );
    default:
      return fc.constant(() => {});
  }
}

function frame(
  apiKey: number,
  version: number,
  flexible: boolean,
  correlationId: number,
  body: Body,
): Buffer {
  const w = new Writer(256).frame();
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: 'mq-fuzz' }, flexible);
  body(w);
  return Buffer.concat(w.finishFrame());
}

/** Integers that make lengths and counts lie, written big-endian over 2 or 4 bytes. */
const INTERESTING_32 = [0x7fffffff, -1, -2, 0x80000000 | 0, 0x10000000, 0xffff, 0x7fff, 1_000_000, 0];
const INTERESTING_16 = [0x7fff, -1, -2, 0x8000 - 0x10000, 0x1000, 0];
/** Unsigned varints: 2^32-1 (a compact length that claims 4 GiB), 2^28, an over-long one. */
const INTERESTING_VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0x80, 0x80, 0x80, 0x80, 0x01],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x80, 0x80, 0x04],
];

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'int32'; at: number; pick: number }
  | { op: 'int16'; at: number; pick: number }
  | { op: 'varint'; at: number; pick: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'truncate'; at: number };

/** Positions are fractions of the length, with a bias to the start of the body (its first counts and lengths). */
const at = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.integer({ min: 0, max: 24 }).map((n) => -n - 1),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('int32' as const), at, pick: fc.nat() }),
  fc.record({ op: fc.constant('int16' as const), at, pick: fc.nat() }),
  fc.record({ op: fc.constant('varint' as const), at, pick: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ op: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at, len: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('truncate' as const), at }),
);

/**
 * Applies mutations to the bytes after the size prefix; a negative `at` counts from the body's
 * first byte (after the request header), a fraction is a share of the whole length.
 */
function mutate(framed: Buffer, bodyStart: number, mutations: Mutation[]): Buffer {
  let b = Buffer.from(framed.subarray(4));
  for (const m of mutations) {
    const pos =
      m.at < 0
        ? Math.min(b.length, bodyStart - 4 + (-m.at - 1))
        : Math.min(b.length, Math.floor(m.at * b.length));
    const put = (bytes: number[] | Uint8Array) => {
      const out = Buffer.from(b);
      for (let i = 0; i < bytes.length && pos + i < out.length; i++) out[pos + i] = bytes[i];
      b = out;
    };
    switch (m.op) {
      case 'flip':
        if (pos < b.length) b[pos] ^= 1 << m.bit;
        break;
      case 'set':
        if (pos < b.length) b[pos] = m.value;
        break;
      case 'int32': {
        const v = Buffer.alloc(4);
        v.writeInt32BE(INTERESTING_32[m.pick % INTERESTING_32.length] | 0);
        put(v);
        break;
      }
      case 'int16': {
        const v = Buffer.alloc(2);
        v.writeInt16BE(INTERESTING_16[m.pick % INTERESTING_16.length]);
        put(v);
        break;
      }
      case 'varint':
        put(INTERESTING_VARINTS[m.pick % INTERESTING_VARINTS.length]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, pos), m.bytes, b.subarray(pos)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + m.len)]);
        break;
      case 'duplicate':
        b = Buffer.concat([
          b.subarray(0, pos + m.len),
          b.subarray(pos, pos + m.len),
          b.subarray(pos + m.len),
        ]);
        break;
      case 'truncate':
        b = b.subarray(0, pos);
        break;
    }
  }
  const head = Buffer.alloc(4);
  head.writeInt32BE(b.length);
  return Buffer.concat([head, b]);
}

/** Length of the request header in a frame (size prefix included) we encoded ourselves. */
function headerEnd(flexible: boolean): number {
  // size 4 + api key 2 + version 2 + correlation 4 + client id (2 + 'mq-fuzz') + tags (1 if flexible)
  return 4 + 2 + 2 + 4 + 2 + 'mq-fuzz'.length + (flexible ? 1 : 0);
}

/** One case for the (api, version), of a kind chosen with the given weights. */
export function caseArb(
  spec: Pick<ApiSpec, 'key' | 'flexibleFrom'>,
  version: number,
  correlationId: number,
): fc.Arbitrary<FuzzCase> {
  const flexible = isFlexible(spec as ApiSpec, version);
  const valid = bodyArb(spec.key, version).map((body) =>
    frame(spec.key, version, flexible, correlationId, body),
  );
  const base = { apiKey: spec.key, version };
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((bytes): FuzzCase => ({ ...base, kind: 'valid', bytes })) },
    {
      weight: 10,
      arbitrary: fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(
        ([bytes, ms]): FuzzCase => ({
          ...base,
          kind: 'mutated',
          bytes: mutate(bytes, headerEnd(flexible), ms),
        }),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.uint8Array({ maxLength: 512 }).map(
        (body): FuzzCase => ({
          ...base,
          kind: 'random',
          bytes: frame(spec.key, version, flexible, correlationId, (w) => w.raw(Buffer.from(body))),
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          apiKey: fc.oneof(fc.integer({ min: -1, max: 70 }), fc.integer({ min: -32768, max: 32767 })),
          version: fc.oneof(fc.integer({ min: -1, max: 20 }), fc.integer({ min: -32768, max: 32767 })),
          clientIdLength: fc.constantFrom(-1, 0, 5, 0x7fff, -2),
          rest: fc.uint8Array({ maxLength: 64 }),
        })
        .map((h): FuzzCase => {
          const w = new Writer(128).frame();
          w.int16(h.apiKey).int16(h.version).int32(correlationId).int16(h.clientIdLength);
          w.raw(Buffer.from(h.rest));
          return {
            kind: 'header',
            apiKey: h.apiKey,
            version: h.version,
            bytes: Buffer.concat(w.finishFrame()),
          };
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.oneof(
            fc.integer({ min: -64, max: 64 }).map((n) => ({ relative: n === 0 ? 1 : n })),
            fc
              .constantFrom(-1, -0x7fffffff, 0, 3, 7, 100 * 1024 * 1024, 0x7fffffff)
              .map((n) => ({ absolute: n })),
          ),
        )
        .map(([bytes, lie]): FuzzCase => {
          const out = Buffer.from(bytes);
          const size = 'relative' in lie ? out.length - 4 + lie.relative : lie.absolute;
          out.writeInt32BE(size | 0, 0);
          return { ...base, kind: 'lying', bytes: out };
        }),
    },
  );
}
