/**
 * Topic names, by Kafka's rules: 1..249 characters of [a-zA-Z0-9._-], and not "." or "..".
 * A topic name becomes a directory name, so this check is what keeps every file the storage
 * engine creates inside <data-dir>/topics: storage calls it before touching the file system,
 * even though the broker validates names too.
 */
export const MAX_TOPIC_NAME_LENGTH = 249;
/** Partitions are numbered by a signed 32-bit int on the wire. */
export const MAX_PARTITION = 2_147_483_647;
const LEGAL_CHARS = /^[a-zA-Z0-9._-]+$/;

/** Returns null when the name is legal, else the reason it is not. */
export function validateTopicName(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the name is empty';
  if (name === '.' || name === '..') return `"${name}" is not allowed`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `${name.length} characters, the limit is ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL_CHARS.test(name)) return 'only ASCII letters, digits, ".", "_" and "-" are allowed';
  return null;
}

/** Returns null when the partition number is legal, else the reason it is not. */
export function validatePartition(partition: number): string | null {
  if (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    return `partition ${partition} is not an integer in 0..${MAX_PARTITION}`;
  }
  return null;
}
