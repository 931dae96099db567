/**
 * The storage engine's public API: partition logs of RecordBatch v2 bytes held verbatim in
 * segmented append-only files, their recovery, flush policies and retention. See
 * docs/architecture.md for the on-disk layout; each module's header states its own format.
 */
export { DataDir, type DataDirMeta, type DataDirOptions, FORMAT_VERSION } from './data-dir.js';
export { fsyncDir, writeFileDurably } from './durable-files.js';
export {
  DataDirLockedError,
  InvalidTopicError,
  OffsetOutOfRangeError,
  StorageConfigError,
  StorageError,
  TopicExistsError,
  UnknownTopicError,
} from './errors.js';
export {
  type FlushPolicy,
  formatFlushPolicy,
  parseFlushPolicy,
  validateFlushPolicy,
} from './flush-policy.js';
export { defaultLogConfig, type LogConfig, mergeLogConfig, validateLogConfig } from './log-config.js';
export { parsePartitionDirName, partitionDirName } from './log-file-names.js';
export { LogManager, type LogManagerOptions } from './log-manager.js';
export {
  type AppendResult,
  PartitionLog,
  type PartitionLogOptions,
  type ReadResult,
} from './partition-log.js';
export { nodeIo, type StorageIo } from './storage-io.js';
export { MAX_PARTITION, MAX_TOPIC_NAME_LENGTH, validatePartition, validateTopicName } from './topic-name.js';
