/**
 * Handlers for the consumer-group, committed-offset and producer-id APIs: FindCoordinator (10),
 * JoinGroup (11), Heartbeat (12), LeaveGroup (13), SyncGroup (14), OffsetCommit (8),
 * OffsetFetch (9), DescribeGroups (15), ListGroups (16) and InitProducerId (22).
 *
 * They map wire versions onto the GroupCoordinator and ProducerStateManager and back; the rules
 * live there. This broker is the only node, so it is every group's coordinator.
 * Transactions are not supported: FindCoordinator for a transactional id answers with this node
 * so the client gets as far as InitProducerId, which refuses any transactional id with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, a non-retriable error that librdkafka and kafkajs
 * report at once instead of retrying forever.
 */
import type { Logger } from '../../log.js';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  DescribeGroupsApi,
  decodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
} from '../../protocol/apis/describe-groups.js';
import {
  CoordinatorKeyType,
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  FindCoordinatorApi,
} from '../../protocol/apis/find-coordinator.js';
import {
  decodeHeartbeatRequest,
  encodeHeartbeatResponse,
  HeartbeatApi,
} from '../../protocol/apis/heartbeat.js';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  InitProducerIdApi,
} from '../../protocol/apis/init-producer-id.js';
import {
  decodeJoinGroupRequest,
  encodeJoinGroupResponse,
  JoinGroupApi,
} from '../../protocol/apis/join-group.js';
import {
  decodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
  LeaveGroupApi,
} from '../../protocol/apis/leave-group.js';
import {
  decodeListGroupsRequest,
  encodeListGroupsResponse,
  ListGroupsApi,
} from '../../protocol/apis/list-groups.js';
import {
  decodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  OffsetCommitApi,
  type OffsetCommitTopicResult,
} from '../../protocol/apis/offset-commit.js';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  OffsetFetchApi,
  type OffsetFetchTopic,
  type OffsetFetchTopicResult,
} from '../../protocol/apis/offset-fetch.js';
import {
  decodeSyncGroupRequest,
  encodeSyncGroupResponse,
  SyncGroupApi,
} from '../../protocol/apis/sync-group.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { ProducerStateManager } from '../producers/producer-state.js';
import type { ApiHandler, RequestContext } from '../request-router.js';

/** Kafka's offset.metadata.max.bytes default (checked in UTF-16 units, as Java's String.length). */
export const MAX_OFFSET_METADATA = 4096;
/** Not in the shared error table: the answer to any transactional id. */
export const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;

/** What the group handlers need of the broker. */
export interface GroupBrokerContext {
  nodeId: number;
  /** Host and port clients should connect to (asked per request: the port is known after listen). */
  advertised(): { host: string; port: number };
  groups: GroupCoordinator;
  producers: ProducerStateManager;
  log: Logger;
  /** Log end offset of a topic-partition, or undefined when it does not exist. */
  logEndOffset(topic: string, partition: number): number | undefined;
}

type Ctx = GroupBrokerContext | (() => GroupBrokerContext);

/** Types a handler from its decode/encode pair, so `handle` gets its parameter types. */
const handler = <Req, Res>(h: ApiHandler<Req, Res>): ApiHandler<Req, Res> => h;

/** Kafka's client_host form: a slash and the peer's address. */
function clientHost(ctx: RequestContext): string {
  return `/${ctx.conn.socket.remoteAddress ?? ''}`;
}

export function groupHandlers(broker: Ctx): ApiHandler[] {
  const b = typeof broker === 'function' ? broker : () => broker;
  const handlers = [
    findCoordinator(b),
    joinGroup(b),
    syncGroup(b),
    heartbeat(b),
    leaveGroup(b),
    offsetCommit(b),
    offsetFetch(b),
    describeGroups(b),
    listGroups(b),
    initProducerId(b),
  ];
  return handlers as ApiHandler[];
}

function findCoordinator(b: () => GroupBrokerContext) {
  return handler({
    spec: FindCoordinatorApi,
    decode: decodeFindCoordinatorRequest,
    encode: encodeFindCoordinatorResponse,
    handle(req, ctx) {
      const { nodeId, advertised } = b();
      const { host, port } = advertised();
      const known =
        req.keyType === CoordinatorKeyType.group || req.keyType === CoordinatorKeyType.transaction;
      const errorCode = known ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST;
      const errorMessage = known ? null : `unknown coordinator key type ${req.keyType}`;
      const keys = ctx.version >= 4 ? req.coordinatorKeys : [req.key];
      return {
        throttleTimeMs: 0,
        errorCode,
        errorMessage,
        nodeId: known ? nodeId : -1,
        host: known ? host : '',
        port: known ? port : -1,
        coordinators: keys.map((key) => ({
          key,
          nodeId: known ? nodeId : -1,
          host: known ? host : '',
          port: known ? port : -1,
          errorCode,
          errorMessage,
        })),
      };
    },
  });
}

function joinGroup(b: () => GroupBrokerContext) {
  return handler({
    spec: JoinGroupApi,
    decode: decodeJoinGroupRequest,
    encode: encodeJoinGroupResponse,
    async handle(req, ctx) {
      const r = await b().groups.join({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: ctx.version >= 5 ? req.groupInstanceId : null,
        clientId: ctx.header.clientId ?? '',
        clientHost: clientHost(ctx),
        sessionTimeoutMs: req.sessionTimeoutMs,
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        rebalanceTimeoutMs: ctx.version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        requireKnownMemberId: ctx.version >= 4,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolName: r.protocolName ?? '',
        leader: r.leader,
        memberId: r.memberId,
        members: r.members,
      };
    },
  });
}

function syncGroup(b: () => GroupBrokerContext) {
  return handler({
    spec: SyncGroupApi,
    decode: decodeSyncGroupRequest,
    encode: encodeSyncGroupResponse,
    async handle(req) {
      const r = await b().groups.sync(req);
      return { throttleTimeMs: 0, errorCode: r.errorCode, assignment: r.assignment };
    },
  });
}

function heartbeat(b: () => GroupBrokerContext) {
  return handler({
    spec: HeartbeatApi,
    decode: decodeHeartbeatRequest,
    encode: encodeHeartbeatResponse,
    handle(req) {
      return { throttleTimeMs: 0, errorCode: b().groups.heartbeat(req) };
    },
  });
}

function leaveGroup(b: () => GroupBrokerContext) {
  return handler({
    spec: LeaveGroupApi,
    decode: decodeLeaveGroupRequest,
    encode: encodeLeaveGroupResponse,
    handle(req, ctx) {
      const members = ctx.version >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
      const codes = b().groups.leave(req.groupId, members);
      const results = members.map((m, i) => ({ ...m, errorCode: codes[i] }));
      // Before v3 the one member's error is the response's; from v3 errors are per member.
      const errorCode = ctx.version >= 3 ? commonError(codes) : (codes[0] ?? ErrorCode.NONE);
      return { throttleTimeMs: 0, errorCode, members: ctx.version >= 3 ? results : [] };
    },
  });
}

/** A coordinator-wide failure (it is closing) is reported at the top as well. */
function commonError(codes: number[]): number {
  return codes.length > 0 && codes.every((c) => c === ErrorCode.NOT_COORDINATOR)
    ? ErrorCode.NOT_COORDINATOR
    : ErrorCode.NONE;
}

function offsetCommit(b: () => GroupBrokerContext) {
  return handler({
    spec: OffsetCommitApi,
    decode: decodeOffsetCommitRequest,
    encode: encodeOffsetCommitResponse,
    async handle(req) {
      const broker = b();
      const valid: {
        topic: string;
        partition: number;
        offset: number;
        leaderEpoch: number;
        metadata: string | null;
      }[] = [];
      const results: OffsetCommitTopicResult[] = req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          let errorCode: number = ErrorCode.NONE;
          if (broker.logEndOffset(t.name, p.partitionIndex) === undefined)
            errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if ((p.committedMetadata?.length ?? 0) > MAX_OFFSET_METADATA)
            errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          else {
            valid.push({
              topic: t.name,
              partition: p.partitionIndex,
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.committedMetadata,
            });
          }
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      }));
      if (valid.length > 0) {
        const code = await broker.groups.commit({
          groupId: req.groupId,
          generationId: req.generationId,
          memberId: req.memberId,
          groupInstanceId: req.groupInstanceId,
          offsets: valid,
        });
        for (const t of results)
          for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
      }
      return { throttleTimeMs: 0, topics: results };
    },
  });
}

function fetchGroup(
  broker: GroupBrokerContext,
  groupId: string,
  topics: OffsetFetchTopic[] | null,
): { errorCode: number; topics: OffsetFetchTopicResult[] } {
  const asked =
    topics === null ? null : topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
  const r = broker.groups.fetchOffsets(groupId, asked);
  return {
    errorCode: r.errorCode,
    topics: r.topics.map((t) => ({
      name: t.topic,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        errorCode: ErrorCode.NONE,
      })),
    })),
  };
}

function offsetFetch(b: () => GroupBrokerContext) {
  return handler({
    spec: OffsetFetchApi,
    decode: decodeOffsetFetchRequest,
    encode: encodeOffsetFetchResponse,
    handle(req, ctx) {
      const broker = b();
      if (ctx.version >= 8) {
        const groups = req.groups.map((g) => ({
          groupId: g.groupId,
          ...fetchGroup(broker, g.groupId, g.topics),
        }));
        return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
      }
      const r = fetchGroup(broker, req.groupId, req.topics);
      if (ctx.version < 2 && r.errorCode !== ErrorCode.NONE) {
        // v0-1 have no group-level error: it goes on every partition asked for.
        for (const t of r.topics) for (const p of t.partitions) p.errorCode = r.errorCode;
      }
      return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode, groups: [] };
    },
  });
}

function describeGroups(b: () => GroupBrokerContext) {
  return handler({
    spec: DescribeGroupsApi,
    decode: decodeDescribeGroupsRequest,
    encode: encodeDescribeGroupsResponse,
    handle(req) {
      const broker = b();
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => {
          const d = broker.groups.describe(groupId);
          return {
            errorCode: groupId === '' ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE,
            groupId,
            groupState: d.state,
            protocolType: d.protocolType,
            protocolData: d.protocolName,
            members: d.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.metadata,
              memberAssignment: m.assignment,
            })),
            authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
          };
        }),
      };
    },
  });
}

function listGroups(b: () => GroupBrokerContext) {
  return handler({
    spec: ListGroupsApi,
    decode: decodeListGroupsRequest,
    encode: encodeListGroupsResponse,
    handle(req) {
      const groups = b()
        .groups.list(req.statesFilter)
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
    },
  });
}

function initProducerId(b: () => GroupBrokerContext) {
  let warned = false;
  return handler({
    spec: InitProducerIdApi,
    decode: decodeInitProducerIdRequest,
    encode: encodeInitProducerIdResponse,
    async handle(req, ctx) {
      const broker = b();
      if (req.transactionalId !== null) {
        if (!warned) {
          warned = true;
          broker.log.warn(
            { transactionalId: req.transactionalId },
            'transactions are not supported; refusing transactional producers',
          );
        }
        return {
          throttleTimeMs: 0,
          errorCode: TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          producerId: -1,
          producerEpoch: -1,
        };
      }
      const r = await broker.producers.initProducerId(req.producerId, req.producerEpoch);
      // PRODUCER_FENCED exists from v4 (KIP-588); older clients know INVALID_PRODUCER_EPOCH.
      const errorCode =
        r.errorCode === ErrorCode.PRODUCER_FENCED && ctx.version < 4
          ? ErrorCode.INVALID_PRODUCER_EPOCH
          : r.errorCode;
      return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
    },
  });
}
