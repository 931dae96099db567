/** The consumer-group, offset and producer-id APIs, for the version table and the request router. */
import type { ApiSpec } from './api.js';
import { DescribeGroupsApi } from './describe-groups.js';
import { FindCoordinatorApi } from './find-coordinator.js';
import { HeartbeatApi } from './heartbeat.js';
import { InitProducerIdApi } from './init-producer-id.js';
import { JoinGroupApi } from './join-group.js';
import { LeaveGroupApi } from './leave-group.js';
import { ListGroupsApi } from './list-groups.js';
import { OffsetCommitApi } from './offset-commit.js';
import { OffsetFetchApi } from './offset-fetch.js';
import { SyncGroupApi } from './sync-group.js';

export const GROUP_APIS: ApiSpec[] = [
  OffsetCommitApi,
  OffsetFetchApi,
  FindCoordinatorApi,
  JoinGroupApi,
  HeartbeatApi,
  LeaveGroupApi,
  SyncGroupApi,
  DescribeGroupsApi,
  ListGroupsApi,
  InitProducerIdApi,
];
