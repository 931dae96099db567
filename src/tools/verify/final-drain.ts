/**
 * The final drain: after producers and consumers have stopped, a fresh consumer (no group, no
 * commits) reads every partition from its start to the log end, with a timeout. Its reads go to
 * the history as consumer "drain", then one `drain` event per partition says where the log ended
 * and how far it got — so the checker knows whether an unread message is certainly lost or only
 * unseen.
 *
 * With the mq driver the log ends come from ListOffsets and the reader is mq's own client. With
 * another driver its consumer reads and the ends come from the driver's admin (lag), or, for a
 * driver without that, from the high watermarks the reads report.
 */
import { Admin, Consumer } from '../../client/index.js';
import { createDriver, type DriverSpec, type IncomingBatch } from '../../drivers/index.js';
import { DRAIN_CONSUMER } from './history.js';
import type { HistorySink } from './history-file.js';
import { readEvent } from './read-event.js';

export interface DrainOptions {
  driver: DriverSpec;
  /**
   * A driver without offsets cannot re-read a log: the final read is then this group's, of what
   * its consumers left in the queues, until the lag is 0.
   */
  group: string | null;
  topic: string;
  partitions: number;
  timeoutMs: number;
  sink: HistorySink;
  clock: () => number;
}

export interface DrainResult {
  reachedEnd: boolean;
  partitions: { partition: number; end: number; reached: number }[];
}

export async function finalDrain(o: DrainOptions): Promise<DrainResult> {
  if (o.group !== null) return drainQueues(o, o.group);
  const ends = await logEnds(o).catch(() => null);
  const reached = new Array<number>(o.partitions).fill(0);
  const known = ends ?? new Array<number>(o.partitions).fill(-1);
  const done = () => reached.every((r, pt) => known[pt] >= 0 && r >= known[pt]);
  const onBatch = (b: IncomingBatch) => {
    o.sink.write(readEvent(DRAIN_CONSUMER, b.partition, b.messages, o.clock()));
    reached[b.partition] = b.messages[b.messages.length - 1].offset + 1;
    if (!ends && b.highWatermark >= 0) known[b.partition] = Math.max(known[b.partition], b.highWatermark);
  };
  if (!done()) {
    if (o.driver.name === 'mq') await drainWithClient(o, onBatch, done);
    else await drainWithDriver(o, onBatch, done, ends === null);
  }
  const partitions = reached.map((r, partition) => ({
    partition,
    end: known[partition] < 0 ? -1 : Math.max(known[partition], r),
    reached: r,
  }));
  for (const p of partitions)
    o.sink.write({ t: 'drain', ts: o.clock(), pt: p.partition, end: p.end, reached: p.reached });
  return { reachedEnd: partitions.every((p) => p.end >= 0 && p.reached >= p.end), partitions };
}

async function logEnds(o: DrainOptions): Promise<number[]> {
  const ends = new Array<number>(o.partitions).fill(0);
  if (o.driver.name === 'mq') {
    const admin = new Admin({ bootstrap: o.driver.options.brokers, clientId: 'mq-verify-drain' });
    try {
      await admin.connect();
      for (const p of await admin.listOffsets(o.topic, 'latest')) ends[p.partition] = p.offset;
    } finally {
      await admin.close().catch(() => {});
    }
    return ends;
  }
  const driver = createDriver(o.driver.name, o.driver.options);
  try {
    for (const p of await driver.admin.lag(`mq-verify-drain-${process.pid}`, o.topic))
      ends[p.partition] = p.endOffset;
  } finally {
    await driver.close().catch(() => {});
  }
  return ends;
}

async function drainWithClient(o: DrainOptions, onBatch: (b: IncomingBatch) => void, done: () => boolean) {
  const consumer = new Consumer({
    bootstrap: o.driver.options.brokers,
    clientId: 'mq-verify-drain',
    autoOffsetReset: 'earliest',
    maxWaitMs: 100,
  });
  consumer.assign(
    Array.from({ length: o.partitions }, (_, partition) => ({
      topic: o.topic,
      partition,
      offset: 'earliest',
    })),
  );
  const timer = setTimeout(() => void consumer.close(), o.timeoutMs);
  try {
    for await (const b of consumer.batches()) {
      onBatch({
        topic: b.topic,
        partition: b.partition,
        messages: b.records,
        highWatermark: b.highWatermark,
      });
      if (done()) break;
    }
  } finally {
    clearTimeout(timer);
    await consumer.close().catch(() => {});
  }
}

/** Through the driver contract; without known ends, done after 500 ms without a batch. */
async function drainWithDriver(
  o: DrainOptions,
  onBatch: (b: IncomingBatch) => void,
  done: () => boolean,
  quietEnds: boolean,
) {
  const driver = createDriver(o.driver.name, o.driver.options);
  const consumer = driver.createConsumer({ topic: o.topic, fromBeginning: true, autoCommit: false });
  let last = Date.now();
  let finish!: () => void;
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const timer = setTimeout(finish, o.timeoutMs);
  const quiet = quietEnds ? setInterval(() => Date.now() - last > 500 && finish(), 100) : null;
  try {
    await consumer.start(
      (b) => {
        last = Date.now();
        onBatch(b);
        if (done()) finish();
      },
      () => finish(),
    );
    if (done()) finish();
    await finished;
  } finally {
    clearTimeout(timer);
    if (quiet) clearInterval(quiet);
    await consumer.close().catch(() => {});
    await driver.close().catch(() => {});
  }
}

/**
 * Without offsets: the group reads what is left until its lag has been 0 for 500 ms (or the
 * timeout). A partition's drain event then says end = reached = messages taken from it; end -1
 * when the queues were not emptied in time.
 */
async function drainQueues(o: DrainOptions, group: string): Promise<DrainResult> {
  const driver = createDriver(o.driver.name, o.driver.options);
  const consumer = driver.createConsumer({ topic: o.topic, group, fromBeginning: true, autoCommit: true });
  const taken = new Array<number>(o.partitions).fill(0);
  let emptied = false;
  let last = Date.now();
  const deadline = Date.now() + o.timeoutMs;
  try {
    await consumer.start((b) => {
      last = Date.now();
      o.sink.write(readEvent(DRAIN_CONSUMER, b.partition, b.messages, o.clock()));
      taken[b.partition] += b.messages.length;
    });
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      if (Date.now() - last < 500) continue;
      const lag = await driver.admin.lag(group, o.topic).catch(() => null);
      if (lag?.every((p) => p.lag === 0)) {
        emptied = true;
        break;
      }
    }
  } finally {
    await consumer.close().catch(() => {});
    await driver.close().catch(() => {});
  }
  const partitions = taken.map((n, partition) => ({ partition, end: emptied ? n : -1, reached: n }));
  for (const p of partitions)
    o.sink.write({ t: 'drain', ts: o.clock(), pt: p.partition, end: p.end, reached: p.reached });
  return { reachedEnd: emptied, partitions };
}
