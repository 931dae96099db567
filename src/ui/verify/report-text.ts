/**
 * The checker's report as text: the verdict, what happened to the messages, every finding with
 * its count (marked when it counts under the declared guarantee), whether the final read reached
 * the log end, and examples with the fault nearest to each.
 */
import {
  ANOMALY_KINDS,
  ANOMALY_LABELS,
  type CheckReport,
  type Example,
} from '../../tools/verify/checker/report.js';
import { grouped, table } from '../format.js';

export function reportSummary(r: CheckReport, historyPath?: string): string {
  const out: string[] = [];
  const verdict = r.valid
    ? `VALID under ${r.expect}: no anomalies`
    : `ANOMALIES under ${r.expect}: ${r.counted.map((k) => `${k} ${grouped(r.anomalies[k])}`).join(', ')}`;
  out.push(verdict, '');
  const c = r.counts;
  out.push(
    `sent ${grouped(c.sent)} · acknowledged ${grouped(c.acked)} · failed ${grouped(c.failed)} · ` +
      `indeterminate ${grouped(c.indeterminate)} (recovered ${grouped(c.recovered)})`,
    `read ${grouped(c.read)} distinct · processed by the group ${grouped(c.consumed)}` +
      (c.unstamped > 0 ? ` · ${grouped(c.unstamped)} without a stamp` : ''),
  );
  const d = r.drain;
  const short = d.partitions
    .filter((p) => p.end < 0 || p.reached < p.end)
    .map((p) =>
      p.reached < 0
        ? `${p.partition}: not read`
        : `${p.partition}: ${p.reached} of ${p.end < 0 ? '?' : p.end}`,
    );
  out.push(
    !d.ran
      ? 'final read: none in this history (loss judged from the consumers’ reads)'
      : d.reachedEnd
        ? 'final read: reached the end of every partition'
        : `final read: did NOT reach every partition end (${short.join(', ')})`,
  );
  if (r.faults.length > 0) out.push(`faults: ${r.faults.map((f) => `${f.kind} ×${f.count}`).join(', ')}`);
  out.push('');
  const rows: string[][] = [['', 'finding', 'count']];
  for (const k of ANOMALY_KINDS) {
    const n = r.anomalies[k];
    if (n === 0) continue;
    rows.push([r.counted.includes(k) ? '✗' : '·', ANOMALY_LABELS[k], grouped(n)]);
  }
  if (rows.length > 1) {
    out.push(table(rows, [0, 1]));
    if (r.anomalies.lost > 0)
      out.push(
        `lost: ${grouped(r.lost.certain)} certain, ${grouped(r.lost.unseen)} unseen; ` +
          `${grouped(r.lost.readBeforeLoss)} had been read during the run, ${grouped(r.lost.indeterminate)} were indeterminate sends`,
      );
    if (r.consumerLost && r.anomalies.consumerLost > 0)
      out.push(
        `lost by consumers: ${grouped(r.consumerLost.certain)} below what the group processed, ${grouped(r.consumerLost.unseen)} after it`,
      );
    out.push('✗ counts under the declared guarantee; · is reported only.');
  } else out.push('no findings');
  for (const k of ANOMALY_KINDS) {
    const ex = r.examples[k];
    if (!ex || ex.length === 0) continue;
    out.push('', `${k} (${ex.length} of ${grouped(r.anomalies[k])}):`);
    for (const e of ex) out.push(`  ${exampleLine(e)}`);
  }
  if (historyPath) out.push('', `history: ${historyPath}`);
  return out.join('\n');
}

export function exampleLine(e: Example): string {
  const where: string[] = [];
  if (e.producer !== undefined) where.push(`producer ${e.producer}`);
  if (e.seq !== undefined && !(e.count && e.count > 1)) where.push(`seq ${e.seq}`);
  if (e.partition !== undefined) where.push(`partition ${e.partition}`);
  if (e.consumer !== undefined) where.push(`consumer ${e.consumer}`);
  const f = e.nearestFault;
  const fault = f
    ? ` — nearest fault: ${f.kind}${f.target ? ` (${f.target})` : ''} ${Math.abs(f.deltaMs)} ms ${f.deltaMs >= 0 ? 'before' : 'after'}`
    : '';
  const at = e.ts !== undefined ? ` at ${(e.ts / 1000).toFixed(1)}s` : '';
  return `${where.join(', ')}: ${e.detail}${at}${fault}`;
}
