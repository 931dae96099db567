/**
 * One member of a consumer group, as the coordinator sees it.
 *
 * Invariants:
 * - At most one JoinGroup and one SyncGroup of a member are parked at a time (`pendingJoin`,
 *   `pendingSync`); parking a second answers the first, so a client's connection is never held
 *   behind a request nobody will answer.
 * - A member with a parked JoinGroup or SyncGroup is kept alive by the coordinator: its session
 *   timer is only armed while it is expected to heartbeat.
 */
import type { JoinResult, SyncResult } from './requests.js';
import type { Timer } from './scheduler.js';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export const EMPTY = Buffer.alloc(0);

export class GroupMember {
  assignment: Buffer = EMPTY;
  pendingJoin: ((r: JoinResult) => void) | null = null;
  pendingSync: ((r: SyncResult) => void) | null = null;
  sessionTimer: Timer | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    public protocols: GroupProtocol[],
  ) {}

  get awaitingJoin(): boolean {
    return this.pendingJoin !== null;
  }

  get awaitingSync(): boolean {
    return this.pendingSync !== null;
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Same protocol names and metadata in the same order. */
  sameProtocols(other: GroupProtocol[]): boolean {
    return (
      other.length === this.protocols.length &&
      other.every(
        (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
      )
    );
  }

  answerJoin(r: JoinResult): void {
    const cb = this.pendingJoin;
    this.pendingJoin = null;
    cb?.(r);
  }

  answerSync(r: SyncResult): void {
    const cb = this.pendingSync;
    this.pendingSync = null;
    cb?.(r);
  }

  stopSessionTimer(): void {
    this.sessionTimer?.cancel();
    this.sessionTimer = null;
  }
}
