import { describe, expect, it } from 'vitest';
import {
  deletedPartitionDirName,
  isDeletedPartitionDir,
  parsePartitionDirName,
  parseSegmentFileName,
  partitionDirName,
  segmentFileName,
} from '../../src/storage/log-file-names.js';

describe('segment file names', () => {
  it('are 20-digit zero-padded offsets that sort like the offsets', () => {
    expect(segmentFileName(0, '.log')).toBe('00000000000000000000.log');
    expect(segmentFileName(1234, '.index')).toBe('00000000000000001234.index');
    expect(segmentFileName(2 ** 53 - 1, '.timeindex')).toBe('00009007199254740991.timeindex');
    const names = [5, 100, 20, 3000].map((o) => segmentFileName(o, '.log'));
    expect([...names].sort()).toEqual([5, 20, 100, 3000].map((o) => segmentFileName(o, '.log')));
  });

  it('parse back, and nothing else parses', () => {
    expect(parseSegmentFileName('00000000000000001234.log')).toEqual({ baseOffset: 1234, suffix: '.log' });
    expect(parseSegmentFileName('00000000000000001234.timeindex')).toEqual({
      baseOffset: 1234,
      suffix: '.timeindex',
    });
    for (const bad of [
      '1234.log',
      '00000000000000001234.log.tmp',
      '0000000000000000123x.log',
      'recovery-point',
      '00000000000000001234.idx',
    ]) {
      expect(parseSegmentFileName(bad)).toBeNull();
    }
    expect(parseSegmentFileName('99999999999999999999.log')).toBeNull(); // beyond 2^53
  });
});

describe('partition dir names', () => {
  it('split on the last dash, so topics may contain dashes', () => {
    expect(partitionDirName('my-topic', 3)).toBe('my-topic-3');
    expect(parsePartitionDirName('my-topic-3')).toEqual({ topic: 'my-topic', partition: 3 });
    expect(parsePartitionDirName('a-0')).toEqual({ topic: 'a', partition: 0 });
  });

  it('reject what partitionDirName never makes', () => {
    for (const bad of [
      'topic',
      '-1',
      'topic-',
      'topic-01',
      'topic-x',
      'to/pic-1',
      '..-1',
      'topic-1.abc-delete',
      'topic-99999999999',
    ]) {
      expect(parsePartitionDirName(bad), bad).toBeNull();
    }
  });

  it('deleted dirs are recognised and fit in 255 bytes even for the longest topic', () => {
    const name = deletedPartitionDirName('t'.repeat(249), 9999, 'f'.repeat(32));
    expect(name.length).toBeLessThanOrEqual(255);
    expect(isDeletedPartitionDir(name)).toBe(true);
    expect(parsePartitionDirName(name)).toBeNull();
    expect(isDeletedPartitionDir(deletedPartitionDirName('x-delete', 0, 'abc'))).toBe(true);
    expect(isDeletedPartitionDir('x-delete-0')).toBe(false);
  });
});
