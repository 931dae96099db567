import { Command } from '@oclif/core';
import { exitOnUserError } from '../../src/cli/errors.js';
import { brokersFlag, jsonFlag } from '../../src/cli/flags.js';
import { listGroups } from '../../src/tools/admin/groups.js';
import { groupListText } from '../../src/ui/groups-output.js';

export default class GroupsList extends Command {
  static override summary = 'List consumer groups: live ones and those that only have committed offsets.';
  static override examples = ['<%= config.bin %> groups list', '<%= config.bin %> groups list --json'];

  static override flags = {
    brokers: brokersFlag,
    json: jsonFlag('print {groups: [{groupId, state, protocolType}]} as JSON'),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GroupsList);
    try {
      const result = await listGroups(flags.brokers);
      this.log(flags.json ? JSON.stringify(result, null, 2) : groupListText(result));
    } catch (err) {
      exitOnUserError(this, err);
    }
  }
}
