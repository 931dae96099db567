/**
 * Requests whose every byte is real but whose handling would cost far more than they weigh:
 * a small frame must not make the broker build millions of objects, block its event loop for
 * seconds, or read a gigabyte of log into memory.
 *
 * - Array elements: a 2 MiB Metadata request can name a million (empty) topics; past
 *   --max-request-elements the request is refused while decoding, before any handler runs.
 * - Repeated names: Metadata answers each topic once however often it is named (Kafka reads the
 *   names into a set), so naming a 200-partition topic 20,000 times is not 4 million partitions.
 * - Fetch size: a fetch asking for 2 GiB gets at most --fetch-max-bytes (Kafka's fetch.max.bytes,
 *   55 MiB by default), whatever its max_bytes and partition_max_bytes say.
 * - A reader that does not read: a client pipelining a hundred 10 MiB fetches and never reading
 *   the answers does not make the broker read a gigabyte into memory: a connection's fetches run
 *   one after another, each once the socket has sent what the previous one produced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, rssBytes } from '../../bench/hardening/proc.js';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { createTopic, fetch, produce } from '../../bench/hardening/wire-ops.js';
import { encodeFetchRequest, FetchApi } from '../../src/protocol/apis/fetch.js';
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  MetadataApi,
} from '../../src/protocol/apis/metadata.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { expectAliveAndClean, expectServes, logLines, waitForLog } from './support.js';

const FETCH_MAX = 57_671_680;

describe('amplification', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'os', logLevel: 'info' });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('a request with more array elements than --max-request-elements is refused before it is handled', async () => {
    const pid = broker.pid!;
    const rss0 = rssBytes(pid) ?? 0;
    const names = 1_000_000;
    const body = Buffer.alloc(4 + names * 2 + 1); // Metadata v4: [string] of empty names, allow auto-create
    body.writeInt32BE(names, 0);
    const c = await WireClient.connect(broker.port);
    const started = Date.now();
    c.write(WireClient.frame(MetadataApi, 4, 9, (w) => w.raw(body)));
    await c.whenClosed;
    const tookMs = Date.now() - started;
    await waitForLog(broker, 'malformed request; closing connection', 'warn');
    const refused = logLines(broker.stderr).filter((l) => String(l.err).includes('array elements'));
    expect(refused.map((l) => l.err)).toEqual([
      'request has more than 100000 array elements (--max-request-elements)',
    ]);
    const rss1 = rssBytes(pid) ?? 0;
    console.log(
      `1M-element metadata request: refused in ${tookMs} ms, rss +${((rss1 - rss0) / MiB).toFixed(0)} MiB`,
    );
    expect(rss1 - rss0).toBeLessThan(64 * MiB);
    await expectServes(broker);
    expectAliveAndClean(broker);
  });

  it('Metadata answers a topic named 20,000 times once', async () => {
    const c = await WireClient.connect(broker.port);
    await createTopic(c, 'wide', 200);
    const pid = broker.pid!;
    const rss0 = rssBytes(pid) ?? 0;
    const md = await c.request(
      MetadataApi,
      9,
      (w) =>
        encodeMetadataRequest(w, 9, {
          topics: Array.from({ length: 20_000 }, () => ({ name: 'wide' })),
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        }),
      decodeMetadataResponse,
      60_000,
    );
    expect(md.topics.map((t) => [t.name, t.partitions.length])).toEqual([['wide', 200]]);
    expect((rssBytes(pid) ?? 0) - rss0).toBeLessThan(64 * MiB);
    c.close();
  });

  it('a fetch asking for 2 GiB gets at most --fetch-max-bytes', async () => {
    const c = await WireClient.connect(broker.port);
    await createTopic(c, 'backlog', 1);
    const value = Buffer.alloc(1000, 7);
    const batch = encodeRecordBatch({
      records: Array.from({ length: 1000 }, () => ({ key: null, value, headers: [] })),
      compression: 'none',
    });
    let written = 0;
    while (written < 100 * MiB) {
      const p = await produce(c, 'backlog', 0, Buffer.from(batch));
      expect(p.errorCode).toBe(ErrorCode.NONE);
      written += batch.length;
    }
    const res = await fetch(c, 'backlog', [{ partition: 0, offset: 0 }], {
      maxBytes: 0x7fffffff,
      partitionMaxBytes: 0x7fffffff,
      timeoutMs: 60_000,
    });
    const got = res.responses[0].partitions[0].records?.length ?? 0;
    console.log(
      `fetch of 2 GiB from a ${(written / MiB).toFixed(0)} MiB log returned ${(got / MiB).toFixed(1)} MiB`,
    );
    expect(got).toBeGreaterThan(FETCH_MAX - 2 * batch.length);
    expect(got).toBeLessThanOrEqual(FETCH_MAX);
    c.close();
    await expectServes(broker);
  }, 120_000);

  it('a client that pipelines fetches and never reads the answers does not grow the broker', async () => {
    // Reuses the 100 MiB 'backlog' partition of the previous test.
    const pid = broker.pid!;
    const rss0 = rssBytes(pid) ?? 0;
    const s = await WireClient.connect(broker.port);
    s.socket.pause(); // never reads
    const frames = Array.from({ length: 100 }, (_, i) =>
      WireClient.frame(FetchApi, 11, i + 1, (w) =>
        encodeFetchRequest(w, 11, {
          clusterId: null,
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 10 * MiB,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: 'backlog',
              topicId: null,
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1,
                  partitionMaxBytes: 10 * MiB,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        }),
      ),
    );
    s.write(Buffer.concat(frames));
    let peak = rss0;
    for (let t = 0; t < 40; t++) {
      await new Promise((r) => setTimeout(r, 200));
      peak = Math.max(peak, rssBytes(pid) ?? 0);
    }
    console.log(
      `100 unread 10 MiB fetches: rss ${(rss0 / MiB).toFixed(0)} -> peak ${(peak / MiB).toFixed(0)} MiB`,
    );
    expect(peak - rss0).toBeLessThan(128 * MiB);
    // Others are served meanwhile; the stuck connection goes when its peer does.
    await expectServes(broker);
    s.close();
    expectAliveAndClean(broker);
  }, 60_000);
});
