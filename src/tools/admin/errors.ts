/**
 * Client errors translated into messages a user can act on. Connection trouble and invalid
 * arguments are "could not run" (exit 2); a broker refusing an operation is "failed" (exit 1).
 * Errors that should not happen (a closed client, an undecodable response) pass through as bugs.
 */
import { ActionableError } from '../../cli/errors.js';
import { BrokerError, KafkaClientError } from '../../client/index.js';
import { ErrorCode } from '../../protocol/errors.js';

/** What a broker error means for one operation, when the generic wording is not good enough. */
export type BrokerErrorWording = Partial<Record<number, string>>;

export function unreachableMessage(brokers: string, detail: string): string {
  return (
    `cannot reach a broker at ${brokers} (${detail}). Is \`mq serve\` running? ` +
    'Start it with `mq serve`, or pass --brokers host:port'
  );
}

/** The innermost cause's message: "connect ECONNREFUSED 127.0.0.1:9092" rather than the wrappers. */
function rootMessage(err: Error): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return (e as Error).message;
}

/**
 * Returns an ActionableError for errors a user can do something about, else the error itself.
 * `wording` replaces the message of specific broker error codes (e.g. TOPIC_ALREADY_EXISTS).
 */
export function explainClientError(err: unknown, brokers: string, wording: BrokerErrorWording = {}): unknown {
  if (err instanceof ActionableError || !(err instanceof KafkaClientError)) return err;
  if (err instanceof BrokerError) {
    const message = wording[err.errorCode] ?? `the broker refused: ${err.message}`;
    return new ActionableError(message, 1, { cause: err });
  }
  switch (err.code) {
    case 'CONNECTION':
      return new ActionableError(unreachableMessage(brokers, rootMessage(err)), 2, { cause: err });
    case 'TIMEOUT':
      return new ActionableError(
        `the broker at ${brokers} did not answer in time (${err.message}); check that it is up and --brokers is right`,
        2,
        { cause: err },
      );
    case 'INVALID_ARGUMENT':
      return new ActionableError(err.message, 2, { cause: err });
    case 'UNSUPPORTED':
      return new ActionableError(`${err.message}: is --brokers a Kafka-protocol broker?`, 2, { cause: err });
    default:
      return err;
  }
}

export const topicMissing = (topic: string): BrokerErrorWording => ({
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: `topic ${topic} does not exist (see the topics with \`mq topics list\`, create it with \`mq topics create ${topic}\`)`,
});
