/** Plain-text renderings of the `mq topics` results (the `--json` output is the result itself). */
import type { TopicCreated, TopicDeleted, TopicDescription, TopicList } from '../tools/admin/topics.js';
import { table } from './format.js';

export function topicCreatedLine(r: TopicCreated): string {
  const parts = `${r.partitions} partition${r.partitions === 1 ? '' : 's'}`;
  return r.created ? `created topic ${r.topic} (${parts})` : `topic ${r.topic} already exists (${parts})`;
}

export function topicListText(r: TopicList): string {
  if (r.topics.length === 0) return 'no topics';
  return table([['TOPIC', 'PARTITIONS'], ...r.topics.map((t) => [t.topic, String(t.partitions)])]);
}

export function topicDescriptionText(r: TopicDescription): string {
  const rows = r.partitions.map((p) => [
    String(p.partition),
    p.leader >= 0 ? String(p.leader) : 'none',
    String(p.logStart),
    String(p.logEnd),
    String(p.messages),
  ]);
  return [
    `topic ${r.topic}: ${r.partitions.length} partitions, ${r.messages} messages`,
    table([['PARTITION', 'LEADER', 'LOG-START', 'LOG-END', 'MESSAGES'], ...rows], []),
  ].join('\n');
}

export function topicDeletedLine(r: TopicDeleted): string {
  return `deleted topic ${r.topic}`;
}
