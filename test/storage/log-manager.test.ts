import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDir } from '../../src/storage/data-dir.js';
import { InvalidTopicError, TopicExistsError, UnknownTopicError } from '../../src/storage/errors.js';
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { batchesIn, capturingLogger, makeBatch, silent, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const CONFIG: LogConfig = { ...defaultLogConfig(), flush: { kind: 'os' } };

async function openManager(logger = silent(), config = CONFIG): Promise<LogManager> {
  const dataDir = await DataDir.open(path.join(dir, 'data'), logger);
  return LogManager.open(dataDir, config, logger);
}

/** Every file and dir under the temp dir, relative. */
function tree(): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('LogManager', () => {
  it('creates topics, serves their logs and reloads them after a clean close', async () => {
    const m = await openManager();
    await m.createTopic('orders', 3);
    await m.createTopic('my-events.v2', 1);
    expect(m.topics()).toEqual(
      new Map([
        ['orders', 3],
        ['my-events.v2', 1],
      ]),
    );
    m.getLog('orders', 2)!.append(makeBatch({ count: 4 }));
    m.getLog('my-events.v2', 0)!.append(makeBatch({ count: 1 }));
    expect(m.getLog('orders', 3)).toBeUndefined();
    expect(m.getLog('nope', 0)).toBeUndefined();
    await m.close();
    expect(fs.existsSync(path.join(dir, 'data', '.clean-shutdown'))).toBe(true);

    const again = await openManager();
    expect(again.topics()).toEqual(
      new Map([
        ['orders', 3],
        ['my-events.v2', 1],
      ]),
    );
    expect(again.dataDir.wasCleanShutdown).toBe(true);
    expect(again.getLog('orders', 2)!.logEndOffset).toBe(4);
    expect(again.getLog('orders', 0)!.logEndOffset).toBe(0);
    expect(again.getLog('my-events.v2', 0)!.logEndOffset).toBe(1);
    await again.close();
  });

  it('a topic whose partitions are made in parallel is all or nothing: one that cannot be made leaves no trace', async () => {
    const m = await openManager();
    const topics = path.join(dir, 'data', 'topics');
    // A plain file where partition 37's directory must go: that partition cannot be made.
    fs.writeFileSync(path.join(topics, 'wide-37'), 'in the way');
    await expect(m.createTopic('wide', 100)).rejects.toThrow();
    expect(m.topics().has('wide')).toBe(false);
    // Every partition made before the failure is gone again (the obstacle with them).
    expect(fs.readdirSync(topics).filter((n) => n.startsWith('wide-'))).toEqual([]);
    await m.createTopic('wide', 100);
    expect(m.topics().get('wide')).toBe(100);
    for (let p = 0; p < 100; p++) expect(m.getLog('wide', p)!.logEndOffset).toBe(0);
    m.getLog('wide', 99)!.append(makeBatch({ count: 2 }));
    await m.close();
    const again = await openManager();
    expect(again.topics().get('wide')).toBe(100);
    expect(again.getLog('wide', 99)!.logEndOffset).toBe(2);
    await again.close();
  });

  it('rejects invalid topic names before touching the file system', async () => {
    const m = await openManager();
    const before = tree();
    for (const bad of ['../x', 'a/b', '.', '..', 'x'.repeat(250), '', '../../etc', 'a\\b']) {
      await expect(m.createTopic(bad, 1), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidTopicError);
      await expect(
        PartitionLog.open(path.join(dir, 'data', 'topics'), bad, 0, CONFIG, silent()),
      ).rejects.toBeInstanceOf(InvalidTopicError);
    }
    await expect(
      PartitionLog.open(path.join(dir, 'data', 'topics'), 'ok', -1, CONFIG, silent()),
    ).rejects.toBeInstanceOf(InvalidTopicError);
    expect(tree()).toEqual(before);
    await m.close();
  });

  it('refuses duplicate and concurrent creates, and bad partition counts', async () => {
    const m = await openManager();
    const first = m.createTopic('t', 2);
    await expect(m.createTopic('t', 2)).rejects.toBeInstanceOf(TopicExistsError);
    await first;
    await expect(m.createTopic('t', 1)).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    await expect(m.createTopic('u', 0)).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    await expect(m.createTopic('u', 1.5)).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    expect(m.topics().has('u')).toBe(false);
    await m.close();
  });

  it('deletes a topic: its logs stop and its dirs are gone; an interrupted deletion finishes at the next start', async () => {
    const m = await openManager();
    await m.createTopic('gone', 2);
    await m.createTopic('kept', 1);
    const log = m.getLog('gone', 0)!;
    log.append(makeBatch());
    await m.deleteTopic('gone');
    expect(m.topics().has('gone')).toBe(false);
    expect(() => log.append(makeBatch())).toThrow();
    expect(fs.readdirSync(path.join(dir, 'data', 'topics'))).toEqual(['kept-0']);
    await expect(m.deleteTopic('gone')).rejects.toBeInstanceOf(UnknownTopicError);
    await m.createTopic('gone', 1); // the name is free again
    expect(m.getLog('gone', 0)!.logEndOffset).toBe(0);
    await m.close();

    // A crash after the rename, before the removal.
    fs.mkdirSync(path.join(dir, 'data', 'topics', 'old-0.0123abcd-delete'));
    fs.writeFileSync(
      path.join(dir, 'data', 'topics', 'old-0.0123abcd-delete', '00000000000000000000.log'),
      'x',
    );
    const again = await openManager();
    expect(fs.existsSync(path.join(dir, 'data', 'topics', 'old-0.0123abcd-delete'))).toBe(false);
    expect([...again.topics().keys()].sort()).toEqual(['gone', 'kept']);
    await again.close();
  });

  it('keeps per-topic config overrides across restarts', async () => {
    const m = await openManager();
    await m.createTopic('small', 1, { segmentBytes: 500, retentionBytes: 1000, retentionMs: -1 });
    await m.close();
    const again = await openManager();
    const log = again.getLog('small', 0)!;
    expect(log.config).toMatchObject({ segmentBytes: 500, retentionBytes: 1000, flush: { kind: 'os' } });
    for (let i = 0; i < 20; i++) log.append(makeBatch({ valueSize: 150 }));
    expect(await again.enforceRetention(Date.now())).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThan(0);
    await expect(again.createTopic('bad', 1, { segmentBytes: 0 })).rejects.toThrow(/segment bytes/);
    expect(again.topics().has('bad')).toBe(false);
    await again.close();
  });

  it('recreates a missing partition, ignores stray entries, and reopens unclean logs after a crash', async () => {
    const cap = capturingLogger();
    const m = await openManager(cap.logger);
    await m.createTopic('t', 3);
    m.getLog('t', 0)!.append(makeBatch({ count: 2 }));
    await m.close();
    fs.rmSync(path.join(dir, 'data', 'topics', 't-1'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'data', 'topics', 'not a partition'));
    // Simulate a crash: no clean-shutdown marker.
    fs.rmSync(path.join(dir, 'data', '.clean-shutdown'));
    const again = await openManager(cap.logger);
    expect(again.topics().get('t')).toBe(3);
    expect(again.dataDir.wasCleanShutdown).toBe(false);
    expect(again.getLog('t', 0)!.logEndOffset).toBe(2);
    expect(cap.find('warn', 'recreating missing partitions')).toHaveLength(1);
    expect(cap.find('warn', 'not a partition')).toHaveLength(1);
    const read = await again.getLog('t', 0)!.read(0, 1 << 20);
    expect(batchesIn(read.records)).toHaveLength(1);
    await again.close();
  });

  it('a log that fails to close leaves no clean-shutdown marker', async () => {
    const m = await openManager();
    await m.createTopic('t', 1);
    m.getLog('t', 0)!.append(makeBatch());
    fs.rmSync(path.join(dir, 'data', 'topics', 't-0'), { recursive: true }); // its files vanish under it
    await expect(m.close()).rejects.toThrow();
    expect(fs.existsSync(path.join(dir, 'data', '.clean-shutdown'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'data', '.lock'))).toBe(false);
  });
});
