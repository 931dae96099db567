/**
 * Group ids as a client can send them: they never become paths (committed offsets live in one
 * log file, keyed by id); an empty one is INVALID_GROUP_ID; one too long to store in the offsets
 * log (over 32767 UTF-8 bytes, the int16 string Kafka's own offsets keys use) is refused the
 * same way, without touching the log, instead of failing every commit with a retriable error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { commitOffset, committedOffset, createTopic } from '../../bench/hardening/wire-ops.js';
import {
  decodeJoinGroupResponse,
  encodeJoinGroupRequest,
  JoinGroupApi,
} from '../../src/protocol/apis/join-group.js';
import {
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  OffsetCommitApi,
} from '../../src/protocol/apis/offset-commit.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { expectAliveAndClean, expectServes, findLog } from './support.js';

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      if (statSync(path.join(d, name)).isDirectory()) walk(path.join(d, name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('group ids', () => {
  let broker: EmbeddedBroker;
  let c: WireClient;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'sync', logLevel: 'info' });
    c = await WireClient.connect(broker.port);
    await createTopic(c, 'orders', 1);
  });
  afterAll(async () => {
    c?.close();
    await broker?.close();
  });

  async function join(groupId: string, version: number): Promise<number> {
    const res = await c.request(
      JoinGroupApi,
      version,
      (w) =>
        encodeJoinGroupRequest(w, version, {
          groupId,
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: '',
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
        }),
      decodeJoinGroupResponse,
    );
    return res.errorCode;
  }

  async function commitV8(groupId: string, offset: number): Promise<number> {
    const res = await c.request(
      OffsetCommitApi,
      8,
      (w) =>
        encodeOffsetCommitRequest(w, 8, {
          groupId,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [
            {
              name: 'orders',
              partitions: [
                {
                  partitionIndex: 0,
                  committedOffset: offset,
                  committedLeaderEpoch: -1,
                  commitTimestamp: -1,
                  committedMetadata: null,
                },
              ],
            },
          ],
        }),
      decodeOffsetCommitResponse,
    );
    return res.topics[0].partitions[0].errorCode;
  }

  it('an empty group id is INVALID_GROUP_ID for JoinGroup and OffsetCommit', async () => {
    expect(await join('', 5)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await join('', 6)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await commitOffset(c, '', 'orders', 0, 1)).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('path-like group ids are just keys: committed, read back, no file made for them', async () => {
    const before = tree(broker.dataDir);
    for (const g of ['../../evil', '/etc/passwd', 'a/b', '.', 'caf\u00e9 \u2603', 'nul\u0000']) {
      expect(await commitOffset(c, g, 'orders', 0, 7), g).toBe(ErrorCode.NONE);
      expect(await committedOffset(c, g, 'orders', 0), g).toBe(7);
    }
    expect(tree(broker.dataDir)).toEqual(before);
  });

  it('a group id too long to store (over 32767 bytes) is INVALID_GROUP_ID; the offsets log stays readable', async () => {
    expect(await commitOffset(c, 'keeper', 'orders', 0, 42)).toBe(ErrorCode.NONE);
    const huge = 'g'.repeat(40_000); // only a compact (flexible) string can carry it
    expect(await commitV8(huge, 1)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await join(huge, 6)).toBe(ErrorCode.INVALID_GROUP_ID);
    // The longest storable one works.
    const longest = 'h'.repeat(32_767);
    expect(await commitV8(longest, 3)).toBe(ErrorCode.NONE);
    const logBefore = readFileSync(path.join(broker.dataDir, 'groups', 'offsets.log'));
    c.close();
    await broker.kill();
    await broker.restart();
    c = await WireClient.connect(broker.port);
    expect(await committedOffset(c, 'keeper', 'orders', 0)).toBe(42);
    expect(await committedOffset(c, longest, 'orders', 0)).toBe(3);
    expect(await commitV8(huge, 1)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(findLog(broker, 'cut an invalid tail').length).toBe(0);
    expect(readFileSync(path.join(broker.dataDir, 'groups', 'offsets.log')).length).toBeGreaterThanOrEqual(
      logBefore.length,
    );
    await expectServes(broker);
    expectAliveAndClean(broker);
  });
});
