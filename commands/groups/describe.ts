import { Args, Command } from '@oclif/core';
import { exitOnUserError } from '../../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../../src/cli/flags.js';
import { describeGroup } from '../../src/tools/admin/groups.js';
import { groupViewText } from '../../src/ui/groups-output.js';

export default class GroupsDescribe extends Command {
  static override summary =
    'Show a consumer group: state, members and assignments, and per partition the committed offset, log end and lag.';
  static override description =
    `Like kafka-consumer-groups --describe. A partition the group has not committed to shows no current offset, and its lag counts every message still in the log.

Exit codes: 0 ok, 1 no such group, 2 usage or connection problem.`;
  static override examples = [
    '<%= config.bin %> groups describe billing',
    '<%= config.bin %> groups describe billing --json',
  ];

  static override args = { group: Args.string({ description: 'group id', required: true }) };

  static override flags = {
    brokers: brokersFlag,
    json: jsonFlag(
      'print {groupId, state, protocolType, protocol, members, partitions: [{topic, partition, committed, logEnd, lag, memberId, clientId, host}], totalLag} as JSON',
    ),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GroupsDescribe);
    try {
      const result = await describeGroup(flags.brokers, args.group);
      this.log(flags.json ? JSON.stringify(result, null, 2) : groupViewText(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
