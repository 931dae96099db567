/** One plain line per interval of a verify-loss run: what CI logs show instead of the live view. */
import type { VerifyStartInfo, VerifyTick } from '../../tools/verify/runner.js';
import { grouped } from '../format.js';

export function startLine(i: VerifyStartInfo): string {
  const faults = i.faults.length > 0 ? `, faults: ${[...new Set(i.faults)].join(', ')}` : '';
  return (
    `verify-loss: ${grouped(i.messages)} messages, ${i.producers} producer(s), ${i.consumers} consumer(s), ` +
    `${i.partitions} partitions on ${i.topic}${faults}`
  );
}

export function tickLine(t: VerifyTick): string {
  return (
    `${(t.elapsedMs / 1000).toFixed(1).padStart(6)}s ${t.phase.padEnd(8)} sent ${grouped(t.sent)}  ` +
    `acked ${grouped(t.acked)}  failed ${grouped(t.failed)}  indeterminate ${grouped(t.indeterminate)}  ` +
    `consumed ${grouped(t.consumed)}  anomalies ${grouped(t.anomalies)}  faults ${t.faults}`
  );
}
