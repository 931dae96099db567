/**
 * Plain-text renderings of the `mq groups` results, laid out like `kafka-consumer-groups
 * --describe`: a header line, the members, then one row per partition.
 */
import type { GroupList, GroupView } from '../tools/admin/groups.js';
import { table } from './format.js';

export function groupListText(r: GroupList): string {
  if (r.groups.length === 0) return 'no groups';
  return table([
    ['GROUP', 'STATE', 'PROTOCOL-TYPE'],
    ...r.groups.map((g) => [g.groupId, g.state, g.protocolType || '-']),
  ]);
}

export function groupViewText(g: GroupView): string {
  const protocol = g.protocol ? `, protocol ${g.protocolType}/${g.protocol}` : '';
  const out = [
    `group ${g.groupId}: ${g.state}${protocol}, ${g.members.length} member${g.members.length === 1 ? '' : 's'}, total lag ${g.totalLag}`,
  ];
  if (g.members.length > 0) {
    const rows = g.members.map((m) => [
      m.memberId,
      m.clientId,
      m.host,
      m.assignment.map((a) => `${a.topic}: ${a.partitions.join(',')}`).join('; ') || '-',
    ]);
    out.push('', table([['MEMBER-ID', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'], ...rows], [0, 1, 2, 3]));
  }
  if (g.partitions.length > 0) {
    const rows = g.partitions.map((p) => [
      p.topic,
      String(p.partition),
      p.committed === null ? '-' : String(p.committed),
      String(p.logEnd),
      String(p.lag),
      p.memberId ?? '-',
      p.host ?? '-',
      p.clientId ?? '-',
    ]);
    const head = [
      'TOPIC',
      'PARTITION',
      'CURRENT-OFFSET',
      'LOG-END-OFFSET',
      'LAG',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
    ];
    out.push('', table([head, ...rows], [0, 5, 6, 7]));
  }
  return out.join('\n');
}
