/**
 * The idempotent producer's identity and sequence numbers.
 *
 * A batch gets its partition's next sequence when it is first sent, and keeps it (same bytes) on
 * every retry, so the broker can drop a duplicate and refuse a gap. Invariant: per partition, the
 * batches not yet acknowledged carry consecutive sequences in batch order.
 *
 * That invariant breaks when a stamped batch is given up (retries exhausted) or the broker has
 * lost track of the producer (UNKNOWN_PRODUCER_ID, or OUT_OF_ORDER_SEQUENCE_NUMBER with no older
 * batch outstanding, e.g. after a crash that lost acknowledged writes). Every later batch of the
 * partition would then be refused forever. So the producer starts over, as Kafka's does by
 * bumping its epoch: once nothing is in flight it takes a new producer id, restarts every
 * partition at sequence 0 and re-stamps the batches still waiting, in order.
 */
import {
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  InitProducerIdApi,
} from '../protocol/apis/init-producer-id.js';
import { ErrorCode, isRetriable } from '../protocol/errors.js';
import type { PartitionQueue, ProducerBatch } from './accumulator.js';
import { nextSequence, stamp } from './batch-builder.js';
import { type Cluster, sleep } from './cluster.js';
import { BrokerError } from './errors.js';

export class ProducerIdentity {
  producerId = -1;
  producerEpoch = -1;
  /** Set when the sequences can no longer be trusted; cleared by reset(). */
  resetNeeded = false;
  private resetting: Promise<void> | null = null;

  /** Stamps a batch with the next sequence of its partition, unless it already has one. */
  stamp(b: ProducerBatch): void {
    if (b.sequence >= 0) return;
    const q = b.queue;
    b.sequence = q.nextSequence;
    q.nextSequence = nextSequence(b.sequence, b.recordCount);
    b.stampedBy = this.producerId;
    stamp(b.bytes!, this.producerId, this.producerEpoch, b.sequence);
  }

  /**
   * True when a partition error means the broker's view of this producer and ours differ beyond
   * what a retry of the same bytes can fix. The batch is then retried after reset().
   */
  lostTrack(b: ProducerBatch, code: number): boolean {
    if (b.stampedBy !== this.producerId) return true; // stamped before a reset: re-stamp it
    if (code === ErrorCode.UNKNOWN_PRODUCER_ID || code === ErrorCode.INVALID_PRODUCER_EPOCH) return true;
    return code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && !b.queue.hasOlderUnacked(b);
  }

  /** Takes the first producer id. */
  async init(cluster: Cluster): Promise<void> {
    Object.assign(this, await initProducerId(cluster));
  }

  /**
   * Starts over with a new producer id (the caller waits until nothing is in flight). Waiting
   * batches lose their stamps and are stamped again when sent, from sequence 0.
   */
  reset(cluster: Cluster, queues: readonly PartitionQueue[]): Promise<void> {
    this.resetting ??= (async () => {
      try {
        const next = await initProducerId(cluster);
        this.producerId = next.producerId;
        this.producerEpoch = next.producerEpoch;
        for (const q of queues) {
          q.nextSequence = 0;
          for (const b of q.waiting) b.sequence = -1;
        }
        this.resetNeeded = false;
      } finally {
        this.resetting = null;
      }
    })();
    return this.resetting;
  }
}

/** Obtains a producer id and epoch for an idempotent (non-transactional) producer. */
export async function initProducerId(
  cluster: Cluster,
): Promise<{ producerId: number; producerEpoch: number }> {
  let backoff = 100;
  for (let attempt = 0; ; attempt++) {
    const conn = await cluster.anyConnection();
    const res = await conn.request(
      InitProducerIdApi,
      (w, v) =>
        encodeInitProducerIdRequest(w, v, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1,
          producerEpoch: -1,
        }),
      decodeInitProducerIdResponse,
    );
    if (res.errorCode === ErrorCode.NONE)
      return { producerId: res.producerId, producerEpoch: res.producerEpoch };
    if (!isRetriable(res.errorCode) || attempt >= 10) throw new BrokerError(res.errorCode, 'InitProducerId');
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 1000);
  }
}
