/** mq's own Kafka-protocol client: producer, consumer (manual or group), admin. */

export type { DecodedRecord as ConsumerRecord } from '../protocol/records.js';
export {
  Admin,
  type GroupDescription,
  type GroupLag,
  type NewTopic,
  type PartitionLag,
  type TopicResult,
} from './admin.js';
export {
  ASSIGNORS,
  type Assignor,
  type AssignorMember,
  rangeAssignor,
  roundRobinAssignor,
} from './assignors.js';
export type { Bytes, RecordHeader, RecordHeaders } from './batch-builder.js';
export {
  Cluster,
  type ClusterOptions,
  type PartitionMetadata,
  parseBootstrap,
  type TopicMetadata,
} from './cluster.js';
export { Connection, type ConnectionOptions } from './connection.js';
export {
  type AssignedPartition,
  Consumer,
  type ConsumerBatch,
  type ConsumerOptions,
  type EachMessagePayload,
  type RunOptions,
} from './consumer.js';
export {
  BrokerError,
  ClientClosedError,
  type ClientErrorCode,
  ConnectionError,
  isRetriableError,
  KafkaClientError,
  RequestTimeoutError,
} from './errors.js';
export type { CommittedOffset, OffsetSpec, TopicPartition, TopicPartitionOffset } from './offsets.js';
export { Partitioner, type PartitionerKind } from './partitioner.js';
export {
  type BatchRecord,
  type BatchResult,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from './producer.js';
