import { writeFile } from 'node:fs/promises';
import { Args, Command, Flags } from '@oclif/core';
import { CompareInputError, compareFigures, loadResults } from '../../src/tools/bench/compare.js';
import { compareTable } from '../../src/ui/compare-table.js';
import { renderHtmlReport } from '../../src/ui/html-report.js';

export default class BenchCompare extends Command {
  static override summary =
    'Compare mq bench result files side by side (table, and an HTML report with charts).';
  static override examples = [
    '<%= config.bin %> bench compare runs/mq/result.json runs/kafkajs/result.json',
    '<%= config.bin %> bench compare a.json b.json --html compare.html',
  ];

  static override strict = false;
  static override args = { files: Args.string({ description: 'result JSON files', required: true }) };
  static override flags = {
    html: Flags.string({ description: 'write a self-contained HTML comparison with charts here' }),
    json: Flags.boolean({ description: 'print the compared figures as JSON' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(BenchCompare);
    try {
      const loaded = await loadResults(argv as string[]);
      const results = loaded.map((l) => l.result);
      const labels = loaded.map((l) => l.label);
      if (flags.html) {
        await writeFile(flags.html, renderHtmlReport(results, labels));
        process.stderr.write(`wrote ${flags.html}\n`);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(compareFigures(loaded), null, 2)}\n`);
      else process.stdout.write(`${compareTable(results, labels)}\n`);
    } catch (err) {
      if (err instanceof CompareInputError) this.error(err.message, { exit: 2 });
      throw err;
    }
  }
}
