/**
 * HdrHistogram interval logs (the format HdrHistogram's HistogramLogProcessor, HdrHistogram
 * plotters and `hdr-histogram-js`'s HistogramLogReader read): one line per interval with its
 * start, length, max and the compressed histogram. Values are µs; the max column is in ms.
 */
import { HistogramLogWriter } from 'hdr-histogram-js';
import { decodeHistogram } from './histogram.js';

export interface LoggedInterval {
  /** Seconds since the log's start time. */
  startSec: number;
  endSec: number;
  /** Encoded histogram (histogram.ts); empty intervals are skipped. */
  encoded: string;
}

export function histogramLog(
  intervals: readonly LoggedInterval[],
  startTimeMs: number,
  comment: string,
): string {
  let out = '';
  const writer = new HistogramLogWriter((s) => {
    out += s;
  });
  writer.outputComment(comment);
  writer.outputLogFormatVersion();
  writer.outputStartTime(startTimeMs);
  writer.outputLegend();
  for (const i of intervals) {
    if (i.encoded === '') continue;
    const h = decodeHistogram(i.encoded);
    try {
      writer.outputIntervalHistogram(h, i.startSec, i.endSec, 1000);
    } finally {
      h.destroy();
    }
  }
  return out;
}
