import { describe, expect, it } from 'vitest';
import { validatePartition, validateTopicName } from '../../src/storage/topic-name.js';

describe('validateTopicName', () => {
  it('accepts Kafka-legal names', () => {
    for (const ok of ['a', 'my-topic', 'my_topic.v2', 'T0', 'x'.repeat(249), '...', '-']) {
      expect(validateTopicName(ok), ok).toBeNull();
    }
  });

  it('rejects names that could escape the topics dir or break Kafka rules', () => {
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', 'x'.repeat(250), 'a b', 'é', 'a\0b', '/abs']) {
      expect(validateTopicName(bad), JSON.stringify(bad)).toEqual(expect.any(String));
    }
  });
});

describe('validatePartition', () => {
  it('accepts 0..2^31-1 and nothing else', () => {
    expect(validatePartition(0)).toBeNull();
    expect(validatePartition(2 ** 31 - 1)).toBeNull();
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN])
      expect(validatePartition(bad)).toEqual(expect.any(String));
  });
});
