/**
 * SegmentIndexes: one segment's offset index (`<base>.index`, offset-index.ts) and time index
 * (`<base>.timeindex`, time-index.ts), and the rule for when they get an entry: the first batch
 * after at least index.interval.bytes of log since the previous entry (Kafka's rule), with a
 * time index entry there if the segment's largest timestamp grew. Appends and recovery both book
 * batches through `track`, so an index rebuilt after a crash is the one the appends built.
 * Entries live in memory; `persist` appends the new ones to the files at flush points.
 */
import { storageIoError } from './errors.js';
import { writeIndexFile } from './index-file.js';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';

export class SegmentIndexes {
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  /** Largest batch maxTimestamp booked (-1: none) and the base offset of the first batch with it. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp: number;
  private bytesSinceEntry = 0;
  /** Persists run one after another, so a slow one never truncates what a later one wrote. */
  private persisting: Promise<void> = Promise.resolve();

  constructor(
    readonly baseOffset: number,
    private readonly intervalBytes: number,
    readonly indexPath: string,
    readonly timeIndexPath: string,
  ) {
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.offsetOfMaxTimestamp = baseOffset;
  }

  /** Books one batch that starts at `position` in the .log. */
  track(position: number, baseOffset: number, maxTimestamp: number, size: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = baseOffset;
    }
    if (this.bytesSinceEntry >= this.intervalBytes) {
      this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceEntry = 0;
    }
    this.bytesSinceEntry += size;
  }

  /** Forgets everything, before a rebuild from the log. */
  reset(): void {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.bytesSinceEntry = 0;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
  }

  /** Adopts indexes read from their files (a clean start). */
  adopt(offsetIndex: OffsetIndex, timeIndex: TimeIndex): void {
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.maxTimestamp = timeIndex.lastTimestamp;
    this.offsetOfMaxTimestamp = timeIndex.entries > 0 ? timeIndex.lastOffset : this.baseOffset;
  }

  /**
   * Prepares booking the batches from the last offset index entry on (a clean start knows the
   * indexes, not the batches after them): drops that entry, which `track` re-adds for the first
   * batch booked. Returns where that batch is and its offset, or the segment's start.
   */
  rewindToLastEntry(): { position: number; offset: number } {
    const last = this.offsetIndex.entries - 1;
    if (last < 0) {
      this.bytesSinceEntry = 0;
      return { position: 0, offset: this.baseOffset };
    }
    const position = this.offsetIndex.positionAt(last);
    const offset = this.offsetIndex.offsetAt(last);
    this.offsetIndex.truncateTo(last);
    this.bytesSinceEntry = this.intervalBytes;
    return { position, offset };
  }

  /** The segment stops being active: record its largest timestamp as the last time entry. */
  seal(): void {
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  /** Appends the entries not yet in the files (rewrites them after a rebuild) and syncs them. */
  persist(): Promise<void> {
    const run = this.persisting.then(() => this.persistNow());
    this.persisting = run.catch(() => {});
    return run;
  }

  private async persistNow(): Promise<void> {
    const oi = this.offsetIndex;
    const ti = this.timeIndex;
    const oTo = oi.entries;
    const tTo = ti.entries;
    try {
      const oFrom = Math.min(oi.persisted, oTo);
      await writeIndexFile(this.indexPath, oi.encode(oFrom, oTo), oFrom * OFFSET_INDEX_ENTRY_SIZE);
      oi.persisted = Math.max(oi.persisted, oTo);
      const tFrom = Math.min(ti.persisted, tTo);
      await writeIndexFile(this.timeIndexPath, ti.encode(tFrom, tTo), tFrom * TIME_INDEX_ENTRY_SIZE);
      ti.persisted = Math.max(ti.persisted, tTo);
    } catch (err) {
      throw storageIoError(err, 'writing index', this.indexPath);
    }
  }
}
