import { describe, expect, it } from 'vitest';
import { apiSpec, BROKER_APIS } from '../../src/protocol/index.js';

// The versions mq advertises for the broker APIs (design brief), and where the Kafka message
// specs make each one flexible.
describe('BROKER_APIS', () => {
  it('lists the core broker APIs with their ranges', () => {
    const table = Object.fromEntries(
      BROKER_APIS.map((a) => [a.name, [a.key, a.minVersion, a.maxVersion, a.flexibleFrom]]),
    );
    expect(table).toMatchObject({
      Produce: [0, 3, 7, 9],
      Fetch: [1, 4, 12, 12],
      ListOffsets: [2, 1, 5, 6],
      Metadata: [3, 0, 9, 9],
      ApiVersions: [18, 0, 3, 3],
      CreateTopics: [19, 0, 7, 5],
      DeleteTopics: [20, 0, 6, 4],
    });
    expect(new Set(BROKER_APIS.map((a) => a.key)).size).toBe(BROKER_APIS.length);
  });

  it('looks specs up by key', () => {
    expect(apiSpec(1)?.name).toBe('Fetch');
    expect(apiSpec(18)?.maxVersion).toBe(3);
    expect(apiSpec(999)).toBeUndefined();
  });
});
