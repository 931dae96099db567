/**
 * Where a consumer starts reading a partition that has no position yet.
 *
 * In order: an explicit start given to assign()/seek() (an offset, 'earliest', 'latest' or a
 * timestamp), else the group's committed offset, else the reset policy (autoOffsetReset). After
 * OFFSET_OUT_OF_RANGE only the reset policy applies: the committed offset is what went out of
 * range. A timestamp later than every record has no offset, so it starts at the log end.
 */
import type { Cluster } from './cluster.js';
import { KafkaClientError } from './errors.js';
import type { PartitionState } from './fetcher.js';
import {
  key,
  listOffsets,
  type OffsetSpec,
  type TopicPartition,
  type TopicPartitionOffset,
} from './offsets.js';

export type ResetPolicy = 'earliest' | 'latest' | 'none';

export interface PositionSources {
  cluster: Cluster;
  /** Explicit starts by partition key; each is used once. */
  starts: Map<string, OffsetSpec>;
  /** The group's committed offsets, when there is a group. */
  committed: ((tps: readonly TopicPartition[]) => Promise<TopicPartitionOffset[]>) | null;
  reset: ResetPolicy;
}

/** Both positions start at `offset`: nothing before it is this consumer's to process. */
export function setPosition(s: PartitionState, offset: number): void {
  s.fetchOffset = offset;
  s.consumedOffset = offset;
  s.reset = false;
}

export async function resolvePositions(
  states: readonly PartitionState[],
  src: PositionSources,
): Promise<void> {
  const unknown = states.filter((s) => s.fetchOffset < 0);
  if (unknown.length === 0) return;
  const bySpec = new Map<OffsetSpec, PartitionState[]>();
  const lookUp = (spec: OffsetSpec, s: PartitionState) => bySpec.set(spec, [...(bySpec.get(spec) ?? []), s]);
  const fromCommit: PartitionState[] = [];
  for (const s of unknown) {
    const start = s.reset ? undefined : src.starts.get(key(s));
    src.starts.delete(key(s));
    if (typeof start === 'number' && start >= 0) setPosition(s, start);
    else if (start !== undefined) lookUp(start, s);
    else if (src.committed && !s.reset) fromCommit.push(s);
    else lookUp(resetSpec(s, src.reset), s);
  }
  if (fromCommit.length > 0) {
    const committed = await src.committed!(fromCommit);
    const byKey = new Map(committed.map((c) => [key(c), c.offset]));
    for (const s of fromCommit) {
      const offset = byKey.get(key(s)) ?? -1;
      if (offset < 0) {
        lookUp(resetSpec(s, src.reset), s);
        continue;
      }
      setPosition(s, offset);
      s.committedOffset = offset;
    }
  }
  for (const [spec, list] of bySpec) {
    const found = await listOffsets(src.cluster, list, spec === -1 ? 'latest' : spec);
    const latest = found.some((f) => f.offset < 0) ? await listOffsets(src.cluster, list, 'latest') : found;
    for (let i = 0; i < list.length; i++)
      setPosition(list[i], found[i].offset >= 0 ? found[i].offset : latest[i].offset);
  }
}

function resetSpec(s: PartitionState, policy: ResetPolicy): OffsetSpec {
  if (policy === 'none') {
    throw new KafkaClientError(
      'INVALID_ARGUMENT',
      `${s.topic}-${s.partition}: no offset to start from (autoOffsetReset none)`,
      false,
    );
  }
  return policy;
}
