import { describe, expect, it } from 'vitest';
import { GROUP_APIS } from '../../src/protocol/apis/group-apis.js';

// The versions and flexible thresholds mq advertises; the Kafka message specs fix the flexible ones.
describe('GROUP_APIS', () => {
  it('lists the ten group, offset and producer-id APIs with their ranges', () => {
    const table = Object.fromEntries(
      GROUP_APIS.map((a) => [a.name, [a.key, a.minVersion, a.maxVersion, a.flexibleFrom]]),
    );
    expect(table).toEqual({
      OffsetCommit: [8, 0, 8, 8],
      OffsetFetch: [9, 0, 8, 6],
      FindCoordinator: [10, 0, 4, 3],
      JoinGroup: [11, 0, 6, 6],
      Heartbeat: [12, 0, 4, 4],
      LeaveGroup: [13, 0, 4, 4],
      SyncGroup: [14, 0, 4, 4],
      DescribeGroups: [15, 0, 5, 5],
      ListGroups: [16, 0, 4, 3],
      InitProducerId: [22, 0, 4, 2],
    });
    expect(new Set(GROUP_APIS.map((a) => a.key)).size).toBe(GROUP_APIS.length);
  });
});
