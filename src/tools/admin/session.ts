/**
 * One Admin client for the length of a command: connected to `brokers`, closed afterwards, and
 * every client error on the way translated for the user (see errors.ts).
 */
import { Admin } from '../../client/index.js';
import { type BrokerErrorWording, explainClientError } from './errors.js';

/** Short enough that a wrong --brokers is reported promptly, long enough for a busy machine. */
export const CLI_CONNECT_TIMEOUT_MS = 5000;
export const CLI_CLIENT_ID = 'mq-cli';

export async function withAdmin<T>(
  brokers: string,
  work: (admin: Admin) => Promise<T>,
  wording?: BrokerErrorWording,
): Promise<T> {
  let admin: Admin | undefined;
  try {
    admin = new Admin({
      bootstrap: brokers,
      clientId: CLI_CLIENT_ID,
      connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
    });
    await admin.connect();
    return await work(admin);
  } catch (err) {
    throw explainClientError(err, brokers, wording);
  } finally {
    await admin?.close().catch(() => {});
  }
}
