/**
 * The Kafka wire protocol, bytes only: primitives, headers, record batches and one schema per API.
 * Nothing here knows about sockets; the broker and the client both build on it.
 */

import type { ApiSpec } from './apis/api.js';
import { ApiVersionsApi } from './apis/api-versions.js';
import { CreateTopicsApi } from './apis/create-topics.js';
import { DeleteTopicsApi } from './apis/delete-topics.js';
import { FetchApi } from './apis/fetch.js';
import { ListOffsetsApi } from './apis/list-offsets.js';
import { MetadataApi } from './apis/metadata.js';
import { ProduceApi } from './apis/produce.js';

export * from './apis/api.js';
export * from './apis/api-versions.js';
export * from './apis/create-topics.js';
export * from './apis/delete-topics.js';
export * from './apis/fetch.js';
export * from './apis/list-offsets.js';
export * from './apis/metadata.js';
export * from './apis/produce.js';
export * from './errors.js';
export * from './header.js';
export * from './murmur2.js';
export * from './reader.js';
export * from './record-batch.js';
export * from './records.js';
export * from './writer.js';

// Group, offset and producer-id APIs: re-exported here by their author (note that
// describe-groups.ts and metadata.ts both export AUTHORIZED_OPERATIONS_OMITTED, same value:
// re-export one of them explicitly to resolve the star-export ambiguity).

/** Every API the broker implements, with the versions it advertises. */
export const BROKER_APIS: readonly ApiSpec[] = [
  ProduceApi,
  FetchApi,
  ListOffsetsApi,
  MetadataApi,
  ApiVersionsApi,
  CreateTopicsApi,
  DeleteTopicsApi,
  // Group, offset and producer-id APIs go here (...GROUP_APIS from ./apis/group-apis.js).
];

const BY_KEY = new Map<number, ApiSpec>(BROKER_APIS.map((spec) => [spec.key, spec]));

/** The spec mq implements for an API key, or undefined if mq does not speak it. */
export function apiSpec(key: number): ApiSpec | undefined {
  return BY_KEY.get(key);
}
