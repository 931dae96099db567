/**
 * The simple-consumer commit form: OffsetCommit with generation -1 and an empty member id, from a
 * consumer that never joins the group (kafkajs admin.setOffsets, librdkafka with assign(), mq's
 * own assign() consumers). Sent with mq's protocol encoders to a real broker process under flush
 * sync, the commits must be fetched back after a SIGTERM restart and after a kill -9 that follows
 * the acks at once.
 */
import { describe, expect, it } from 'vitest';
import type { WireClient } from '../../bench/hardening/wire-client.js';
import { commitOffsets, createTopic } from '../../bench/hardening/wire-ops.js';
import {
  decodeOffsetFetchResponse,
  encodeOffsetFetchRequest,
  OffsetFetchApi,
} from '../../src/protocol/apis/offset-fetch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { wireBroker } from '../support/wire.js';

/**
 * OffsetFetch v7 of every partition asked: [partition, offset, metadata]. As in Kafka, a null
 * metadata is stored as '' and a partition without a commit is offset -1, metadata ''.
 */
async function fetchCommitted(
  c: WireClient,
  group: string,
  topic: string,
  partitions: number[],
): Promise<[number, number, string | null][]> {
  const res = await c.request(
    OffsetFetchApi,
    7,
    (w) =>
      encodeOffsetFetchRequest(w, 7, {
        groupId: group,
        topics: [{ name: topic, partitionIndexes: partitions }],
        groups: [],
        requireStable: false,
      }),
    decodeOffsetFetchResponse,
  );
  expect(res.errorCode).toBe(ErrorCode.NONE);
  const parts = res.topics.find((t) => t.name === topic)?.partitions ?? [];
  for (const p of parts) expect(p.errorCode).toBe(ErrorCode.NONE);
  return parts
    .map((p): [number, number, string | null] => [p.partitionIndex, p.committedOffset, p.metadata])
    .sort((a, b) => a[0] - b[0]);
}

describe('simple-consumer commits (generation -1) under flush sync', () => {
  const w = wireBroker();

  for (const how of ['SIGTERM', 'kill -9'] as const) {
    it(`are fetched after a ${how} restart`, async () => {
      const broker = await w.start({ flush: 'sync' });
      let c = await w.connect();
      await createTopic(c, 'simple-off', 4);
      // Older (v2, retention time) and flexible (v8) versions of the same form; a later commit
      // of a partition replaces the earlier one.
      expect(
        await commitOffsets(
          c,
          'simple',
          'simple-off',
          [
            { partition: 0, offset: 11, metadata: 'v2' },
            { partition: 1, offset: 5, metadata: null },
          ],
          { version: 2 },
        ),
      ).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
      expect(
        await commitOffsets(
          c,
          'simple',
          'simple-off',
          [
            { partition: 1, offset: 21, metadata: 'v8' },
            { partition: 2, offset: 0, metadata: '' },
          ],
          { version: 8 },
        ),
      ).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
      // Another group's commit stays apart.
      expect(
        await commitOffsets(c, 'simple-other', 'simple-off', [{ partition: 0, offset: 99, metadata: null }], {
          version: 7,
        }),
      ).toEqual([ErrorCode.NONE]);
      const expected: [number, number, string | null][] = [
        [0, 11, 'v2'],
        [1, 21, 'v8'],
        [2, 0, ''],
        [3, -1, ''],
      ];
      expect(await fetchCommitted(c, 'simple', 'simple-off', [0, 1, 2, 3])).toEqual(expected);
      c.close();

      // Acked under sync means durable: the stop follows the last ack at once.
      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0);
      else await broker.kill();
      await broker.restart();

      c = await w.connect();
      expect(await fetchCommitted(c, 'simple', 'simple-off', [0, 1, 2, 3])).toEqual(expected);
      expect((await fetchCommitted(c, 'simple-other', 'simple-off', [0]))[0]).toEqual([0, 99, '']);
      // And the group still takes commits of this form after the restart.
      expect(
        await commitOffsets(c, 'simple', 'simple-off', [{ partition: 3, offset: 7, metadata: null }], {
          version: 8,
        }),
      ).toEqual([ErrorCode.NONE]);
      expect((await fetchCommitted(c, 'simple', 'simple-off', [3]))[0]).toEqual([3, 7, '']);
    });
  }
});
