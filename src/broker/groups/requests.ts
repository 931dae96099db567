/**
 * What the coordinator is asked and answers for group membership, independent of the wire
 * versions (the handlers map the JoinGroup/SyncGroup/Heartbeat versions onto these).
 */
import { EMPTY, type GroupProtocol } from './member.js';

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member with its metadata for the chosen protocol. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface JoinRequest {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** JoinGroup v4+: a member without an id gets one with MEMBER_ID_REQUIRED and must rejoin with it. */
  requireKnownMemberId: boolean;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberRef {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export function joinError(errorCode: number, memberId = ''): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export interface CommitRequest {
  groupId: string;
  /** -1 with memberId '' is a standalone (simple) consumer's commit. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: {
    topic: string;
    partition: number;
    offset: number;
    leaderEpoch: number;
    metadata: string | null;
  }[];
}

export interface FetchedOffset {
  partition: number;
  /** -1 when nothing was committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  /** The chosen protocol, only while Stable (as Kafka reports it). */
  protocolName: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
}
