/**
 * The connection string of a non-Kafka driver, as given to `--brokers` / `--url`: a URL of the
 * driver's scheme whose query may carry driver settings (`?queue-type=quorum&prefetch=500`).
 * Tools pass only the string to worker threads, so settings travel inside it. Our settings are
 * taken out of the URL before it reaches the client library; other query parameters are the
 * library's own (amqplib: heartbeat, frameMax; ioredis: family, db) and are left in place.
 */
import { DriverCapabilityError, type ProducerSettings } from './driver.js';

export interface EngineUrl {
  /** The URL without our settings, for the client library. */
  url: string;
  /** Our settings, by name, as typed. */
  settings: Map<string, string>;
}

export class DriverUrlError extends DriverCapabilityError {
  override name = 'DriverUrlError';
}

export function parseEngineUrl(
  input: string,
  driver: string,
  schemes: readonly string[],
  known: readonly string[],
): EngineUrl {
  const refuse = () =>
    new DriverUrlError(
      `driver "${driver}" needs a URL such as ${schemes[0]}://127.0.0.1:<port> (got "${input}"); start a local server with: mq peers start ${driver}`,
    );
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    throw refuse();
  }
  if (!schemes.includes(u.protocol.replace(/:$/, ''))) throw refuse();
  const settings = new Map<string, string>();
  for (const name of [...u.searchParams.keys()]) {
    if (!known.includes(name)) continue;
    settings.set(name, u.searchParams.get(name) ?? '');
    u.searchParams.delete(name);
  }
  return { url: u.toString(), settings };
}

/** A positive integer setting, or the default. */
export function intSetting(s: Map<string, string>, name: string, fallback: number, driver: string): number {
  const v = s.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new DriverUrlError(`driver "${driver}": ${name}=${v} is not a positive whole number`);
  }
  return n;
}

/** A duration setting in ms ("500", "500ms", "2s"), or the default. */
export function msSetting(s: Map<string, string>, name: string, fallback: number, driver: string): number {
  const v = s.get(name);
  if (v === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v.trim());
  if (!m) throw new DriverUrlError(`driver "${driver}": ${name}=${v} is not a duration (try 500ms, 2s)`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/**
 * Producer settings these engines cannot honour, refused here too (tools check capabilities
 * first; this guards direct use of the driver).
 */
export function refuseProducerSettings(driver: string, s: ProducerSettings): void {
  const refused: string[] = [];
  if (s.idempotent) refused.push('idempotent producers');
  if (s.compression && s.compression !== 'none') refused.push(`compression ${s.compression}`);
  if (refused.length > 0) {
    throw new DriverCapabilityError(`driver "${driver}" does not support ${refused.join(' or ')}`);
  }
}
