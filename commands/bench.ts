import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Flags } from '@oclif/core';
import { parseDuration, UsageError } from '../src/cli/units.js';
import { DRIVER_NAMES } from '../src/drivers/index.js';
import { AssertionSyntaxError, parseThreshold } from '../src/tools/bench/assertions.js';
import { workloadFromFlags } from '../src/tools/bench/cli-options.js';
import { isSetupError, runBench } from '../src/tools/bench/service.js';
import { KEY_DISTRIBUTORS, loadWorkloadFile, resolveWorkload } from '../src/tools/bench/workload.js';
import { onStopSignals } from '../src/tools/stop-signals.js';
import { attachBenchOutput, chooseOutputMode } from '../src/ui/bench-output.js';
import { summaryTable } from '../src/ui/bench-summary.js';
import { renderHtmlReport } from '../src/ui/html-report.js';

export default class Bench extends Command {
  static override summary =
    'Load a queue with producer and consumer threads and measure rates and HDR latencies.';
  static override description =
    `Latency is measured from each message's intended send time (fixed --rate), so stalls are not hidden
(publish delay, how late sending was, is reported on its own); end-to-end = receive − intended send time.
Without --brokers an embedded mq serve is started and removed afterwards. Workload files use
OpenMessaging Benchmark field names; flags override them. Exit codes: 0 ok, 1 an --assert failed, 2 could not run.`;

  static override examples = [
    '<%= config.bin %> bench --rate 50k --partitions 8 --duration 30s',
    '<%= config.bin %> bench --workload workload.yaml --brokers localhost:9092 --out results/run1',
    "<%= config.bin %> bench --rate 20000 --assert 'e2e.p99<10ms' --assert 'publish.rate>19000' --json",
  ];

  static override flags = {
    workload: Flags.string({
      char: 'w',
      description: 'workload YAML (OMB field names); flags override its fields',
    }),
    brokers: Flags.string({
      char: 'b',
      description: 'bootstrap servers host:port[,...]; default: an embedded broker',
    }),
    driver: Flags.string({ description: 'client driver', options: DRIVER_NAMES, default: 'mq' }),
    'broker-flush': Flags.string({ description: 'flush policy of the embedded broker', default: 'os' }),
    name: Flags.string({ description: 'workload name in the result' }),
    topics: Flags.integer({ description: 'topics (topics)' }),
    partitions: Flags.integer({ char: 'p', description: 'partitions per topic (partitionsPerTopic)' }),
    'message-size': Flags.string({ char: 's', description: 'payload bytes (messageSize), e.g. 100, 1KB' }),
    'payload-file': Flags.string({ description: 'payload from a file (payloadFile)' }),
    'key-distributor': Flags.string({
      options: [...KEY_DISTRIBUTORS],
      description: 'message keys (keyDistributor)',
    }),
    producers: Flags.integer({ description: 'producers per topic (producersPerTopic)' }),
    subscriptions: Flags.integer({
      description: 'subscriptions per topic, 0 = produce only (subscriptionsPerTopic)',
    }),
    consumers: Flags.integer({ description: 'consumers per subscription (consumerPerSubscription)' }),
    rate: Flags.string({ char: 'r', description: 'total msg/s (50000, 50k), max, or search (producerRate)' }),
    'start-rate': Flags.string({ description: 'first rate of --rate search (producerStartRate)' }),
    duration: Flags.string({ char: 'd', description: 'measured time, e.g. 30s, 5m (testDurationMinutes)' }),
    warmup: Flags.string({ description: 'warm-up excluded from results (warmupDurationMinutes)' }),
    acks: Flags.string({ description: 'all | 1 | 0' }),
    'batch-size': Flags.string({ description: 'producer batch bytes' }),
    linger: Flags.string({ description: 'producer linger, e.g. 5ms' }),
    compression: Flags.string({ options: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] }),
    idempotence: Flags.boolean({ description: 'idempotent producers', allowNo: true }),
    'max-in-flight': Flags.integer({ description: 'produce requests in flight per connection' }),
    interval: Flags.string({ description: 'reporting interval', default: '1s' }),
    'drain-timeout': Flags.string({
      description: 'how long consumers may catch up after producing stops',
      default: '30s',
    }),
    'search-step': Flags.string({ description: 'length of one --rate search step', default: '6s' }),
    'keep-topics': Flags.boolean({ description: 'leave the bench topics on the broker' }),
    assert: Flags.string({
      char: 'a',
      multiple: true,
      description: "threshold, e.g. 'e2e.p99<10ms' (exit 1 if any fails)",
    }),
    out: Flags.string({
      char: 'o',
      description: 'directory for result.json, HdrHistogram logs and report.html',
    }),
    json: Flags.boolean({ description: 'print only the result JSON on stdout (progress on stderr)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Bench);
    try {
      const file = flags.workload ? await loadWorkloadFile(flags.workload) : undefined;
      const workload = resolveWorkload({ file, flags: workloadFromFlags(flags) });
      const thresholds = (flags.assert ?? []).map(parseThreshold);
      const mode = chooseOutputMode(flags.json, process.stdout);
      let output: { finish: () => void } | null = null;
      const outcome = await runBench({
        workload,
        driver: flags.driver,
        brokers: flags.brokers,
        brokerFlush: flags['broker-flush'],
        intervalMs: parseDuration(flags.interval, '--interval'),
        drainTimeoutMs: parseDuration(flags['drain-timeout'], '--drain-timeout'),
        searchStepMs: parseDuration(flags['search-step'], '--search-step'),
        keepTopics: flags['keep-topics'],
        thresholds,
        outDir: flags.out,
        onLog: (line) => process.stderr.write(`${line}\n`),
        onRunner: (runner) => {
          onStopSignals(() => runner.stop());
          runner.on('log', (line) => process.stderr.write(`${line}\n`));
          const shape = {
            driver: flags.driver,
            messageSize: workload.messageSize,
            partitions: workload.partitionsPerTopic,
          };
          output = attachBenchOutput(runner, mode, shape, process);
        },
      }).finally(() => (output as { finish: () => void } | null)?.finish());
      if (flags.out) {
        const report = path.join(flags.out, 'report.html');
        await writeFile(report, renderHtmlReport([outcome.result], [outcome.result.driver]));
        process.stderr.write(`wrote ${report}\n`);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
      else process.stdout.write(`\n${summaryTable(outcome.result)}\n`);
      if (outcome.failed > 0) this.exit(1);
    } catch (err) {
      if (err instanceof UsageError || err instanceof AssertionSyntaxError || isSetupError(err)) {
        this.error((err as Error).message, { exit: 2 });
      }
      throw err;
    }
  }
}
