/**
 * Errors the client raises, in one module.
 *
 * Every error a caller sees is a KafkaClientError with a `code` (a stable string for programs),
 * a `retriable` flag (true when the same call may succeed later: a broker error Kafka marks
 * retriable, a dropped connection, a timeout) and the underlying `cause`. Broker error codes keep
 * their Kafka numbers in `errorCode`, reusing the table in protocol/errors.ts so broker and client
 * agree on names and retriability.
 */
import { ErrorCode, errorName, isRetriable, KafkaProtocolError } from '../protocol/errors.js';

export type ClientErrorCode =
  /** The broker answered with a Kafka error code (see `errorCode`). */
  | 'BROKER_ERROR'
  /** TCP connect failed, or the connection closed with requests outstanding. */
  | 'CONNECTION'
  /** No response within the request timeout; the connection is closed because the stream is unusable. */
  | 'TIMEOUT'
  /** The client (or the object that made the request) was closed. */
  | 'CLOSED'
  /** The broker does not speak a version of an API the client needs. */
  | 'UNSUPPORTED'
  /** The caller asked for something invalid (unknown partition, bad option). */
  | 'INVALID_ARGUMENT'
  /** A response could not be decoded. */
  | 'PROTOCOL';

export class KafkaClientError extends Error {
  override name = 'KafkaClientError';
  /** The Kafka error code when `code` is BROKER_ERROR, else -1. */
  readonly errorCode: number;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly retriable: boolean,
    options: { cause?: unknown; errorCode?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorCode = options.errorCode ?? -1;
  }
}

export class ConnectionError extends KafkaClientError {
  override name = 'ConnectionError';
  constructor(message: string, cause?: unknown) {
    super('CONNECTION', message, true, { cause });
  }
}

export class RequestTimeoutError extends KafkaClientError {
  override name = 'RequestTimeoutError';
  constructor(message: string) {
    super('TIMEOUT', message, true);
  }
}

export class ClientClosedError extends KafkaClientError {
  override name = 'ClientClosedError';
  constructor(what = 'client') {
    super('CLOSED', `${what} is closed`, false);
  }
}

/** A Kafka error code from a broker, wrapped so callers can switch on `code` and `errorCode`. */
export class BrokerError extends KafkaClientError {
  override name = 'BrokerError';
  readonly errorName: string;
  constructor(errorCode: number, context?: string, errorMessage?: string | null) {
    const detail = errorMessage ? ` (${errorMessage})` : '';
    super(
      'BROKER_ERROR',
      `${errorName(errorCode)}${context ? ` on ${context}` : ''}${detail}`,
      isRetriable(errorCode),
      { errorCode, cause: new KafkaProtocolError(errorCode, context) },
    );
    this.errorName = errorName(errorCode);
  }
}

/** Throws a BrokerError when errorCode is not NONE. */
export function checkErrorCode(errorCode: number, context?: string, errorMessage?: string | null): void {
  if (errorCode !== ErrorCode.NONE) throw new BrokerError(errorCode, context, errorMessage);
}

/** True for errors after which the same request may succeed (possibly after a metadata refresh). */
export function isRetriableError(err: unknown): boolean {
  return err instanceof KafkaClientError && err.retriable;
}

/** Broker errors that mean the client's idea of the leader or the topic is stale. */
export function needsMetadataRefresh(errorCode: number): boolean {
  return (
    errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ||
    errorCode === ErrorCode.LEADER_NOT_AVAILABLE ||
    errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ||
    errorCode === ErrorCode.FENCED_LEADER_EPOCH ||
    errorCode === ErrorCode.UNKNOWN_LEADER_EPOCH ||
    errorCode === ErrorCode.UNKNOWN_TOPIC_ID
  );
}

export { ErrorCode };
