/**
 * How `mq produce` and `mq consume` print: the produce summary, and one line per consumed message,
 * either from a --format template or as a JSON object (JSON Lines). Keys, values and header values
 * are shown as UTF-8 text.
 */
import { UsageError } from '../cli/units.js';
import type { ConsumedMessage, ConsumeResult } from '../tools/consume/service.js';
import type { ProduceResult } from '../tools/produce/service.js';

export function producedLine(r: ProduceResult): string {
  const where = r.partitions.map((p) => `${p.partition}: ${p.messages}`).join(', ');
  return `produced ${r.messages} message${r.messages === 1 ? '' : 's'} to ${r.topic}${where ? ` (partition ${where})` : ''}`;
}

const STOPPED_BY: Record<ConsumeResult['stoppedBy'], string> = {
  'max-messages': 'reached --max-messages',
  idle: 'idle for --timeout',
  stopped: 'stopped',
};

/** The closing summary (stderr, so stdout holds only messages). */
export function consumedLine(r: ConsumeResult): string {
  const committed =
    r.group === null
      ? ''
      : `; group ${r.group} committed ${r.committed.map((c) => `${c.partition}@${c.offset}`).join(' ') || 'nothing'}`;
  return `consumed ${r.messages} message${r.messages === 1 ? '' : 's'} from ${r.topic} (${STOPPED_BY[r.stoppedBy]})${committed}`;
}

/** The JSON Lines shape of a consumed message; null key or value stays null. */
export interface MessageJson {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}

export function messageJson(m: ConsumedMessage): MessageJson {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: text(m.key),
    value: text(m.value),
    headers: m.headers.map((h) => ({ key: h.key, value: text(h.value) })),
  };
}

export const FORMAT_FIELDS = [
  'topic',
  'partition',
  'offset',
  'timestamp',
  'key',
  'value',
  'headers',
] as const;

/**
 * A line template: {topic} {partition} {offset} {timestamp} {key} {value} {headers}, with \t, \n
 * and \\ escapes; {headers} is k=v,k2=v2. Null keys and values print as empty. Unknown fields are
 * refused up front rather than printed literally on every line.
 */
export function messageFormatter(template: string): (m: ConsumedMessage) => string {
  const unescaped = template.replace(/\\(t|n|\\)/g, (_, c: string) => ({ t: '\t', n: '\n', '\\': '\\' })[c]!);
  const parts = unescaped.split(/(\{[a-z]+\})/);
  for (const p of parts) {
    const field = /^\{([a-z]+)\}$/.exec(p)?.[1];
    if (field && !(FORMAT_FIELDS as readonly string[]).includes(field)) {
      throw new UsageError(
        `--format: unknown field {${field}} (fields: ${FORMAT_FIELDS.map((f) => `{${f}}`).join(' ')})`,
      );
    }
  }
  const pieces = parts.map((p): ((m: ConsumedMessage) => string) => {
    switch (p) {
      case '{topic}':
        return (m) => m.topic;
      case '{partition}':
        return (m) => String(m.partition);
      case '{offset}':
        return (m) => String(m.offset);
      case '{timestamp}':
        return (m) => String(m.timestamp);
      case '{key}':
        return (m) => text(m.key) ?? '';
      case '{value}':
        return (m) => text(m.value) ?? '';
      case '{headers}':
        return (m) =>
          m.headers.map((h) => (h.value === null ? h.key : `${h.key}=${text(h.value)}`)).join(',');
      default:
        return () => p;
    }
  });
  return (m) => pieces.map((f) => f(m)).join('');
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}
