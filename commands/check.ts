import { Args, Command, Flags } from '@oclif/core';
import { CheckInputError, checkHistoryFile } from '../src/tools/verify/check-file.js';
import { GUARANTEES, type Guarantee } from '../src/tools/verify/history.js';
import { reportSummary } from '../src/ui/verify/report-text.js';

export default class Check extends Command {
  static override summary = 'Check a verify-loss history offline: lost, duplicated, reordered messages.';
  static override description =
    `Reads a history (JSON Lines, as mq verify-loss writes it, or your own) in one streaming pass
with bounded memory. What counts as an anomaly follows --expect (default: the history's own).
Exit codes: 0 valid, 1 anomalies, 2 the history could not be read.`;

  static override examples = [
    '<%= config.bin %> check run.jsonl',
    '<%= config.bin %> check run.jsonl --expect exactly-once --all',
    '<%= config.bin %> check run.jsonl --json',
  ];

  static override args = {
    history: Args.string({ required: true, description: 'history file (JSON Lines)' }),
  };

  static override flags = {
    expect: Flags.string({ options: [...GUARANTEES], description: 'declared delivery guarantee' }),
    examples: Flags.integer({ description: 'examples shown per anomaly kind', default: 5, min: 0 }),
    all: Flags.boolean({ description: 'every example (runs of messages are folded into one)' }),
    json: Flags.boolean({ description: 'print the report as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Check);
    try {
      const report = await checkHistoryFile(args.history, {
        expect: flags.expect as Guarantee | undefined,
        examples: flags.all ? Number.POSITIVE_INFINITY : flags.examples,
      });
      process.stdout.write(`${flags.json ? JSON.stringify(report, null, 2) : reportSummary(report)}\n`);
      if (!report.valid) this.exit(1);
    } catch (err) {
      if (err instanceof CheckInputError) this.error(err.message, { exit: 2 });
      throw err;
    }
  }
}
