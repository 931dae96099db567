/**
 * UnsettledAppends: per partition, the appends of idempotent batches whose durability (the flush
 * policy's promise; under sync the group commit's fdatasync) has not settled yet.
 *
 * A repeated idempotent batch is not appended: it is answered with the original's offset. While
 * the original's sync is still running, that answer has to wait for it, exactly as the
 * original's own answer does. Otherwise a retry on another connection (a client's usual move
 * after a request timeout, which a slow sync causes) is acked before the data is durable, and a
 * crash loses acked data; or it is acked although the sync then fails and the original is
 * answered KAFKA_STORAGE_ERROR.
 *
 * Invariant: an entry lives from the append until its durability settles, so an offset not
 * found here is either durable or failed; the produce handler makes the producer state forget a
 * failed batch, so no later retry is recognised as a duplicate of it.
 */
import type { PartitionLog } from '../../storage/index.js';

interface Unsettled {
  log: PartitionLog;
  baseOffset: number;
  lastOffset: number;
  durable: Promise<void>;
}

export class UnsettledAppends {
  private readonly byPartition = new Map<string, Unsettled[]>();

  /** Remembers an append of `log` (offsets baseOffset..lastOffset) until `durable` settles. */
  track(
    key: string,
    log: PartitionLog,
    baseOffset: number,
    lastOffset: number,
    durable: Promise<void>,
  ): void {
    const entry: Unsettled = { log, baseOffset, lastOffset, durable };
    const list = this.byPartition.get(key);
    if (list) list.push(entry);
    else this.byPartition.set(key, [entry]);
    const forget = () => {
      const l = this.byPartition.get(key);
      const i = l?.indexOf(entry) ?? -1;
      if (i < 0) return;
      l!.splice(i, 1);
      if (l!.length === 0) this.byPartition.delete(key);
    };
    durable.then(forget, forget);
  }

  /** The durability of the unsettled append of `log` holding `offset`, or null when there is none. */
  durabilityOf(key: string, log: PartitionLog, offset: number): Promise<void> | null {
    const list = this.byPartition.get(key);
    if (!list) return null;
    for (const e of list) {
      if (e.log === log && e.baseOffset <= offset && offset <= e.lastOffset) return e.durable;
    }
    return null;
  }
}
