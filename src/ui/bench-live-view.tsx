/**
 * The live bench view (ink): rates, backlog, a throughput sparkline and latency percentiles of
 * the latest interval. `BenchLiveView` is pure (state in, frame out); `LiveBench` connects it to
 * a runner's events; `mountLiveView` renders it on a TTY stream.
 */
import { Box, render, Text } from 'ink';
import { useEffect, useReducer } from 'react';
import type { LatencySummary } from '../metrics/histogram.js';
import type { IntervalStats, Phase } from '../tools/bench/intervals.js';
import type { SearchStep } from '../tools/bench/rate-search.js';
import type { BenchRunner, BenchStartInfo } from '../tools/bench/runner.js';
import { type BenchViewState, benchViewReducer, initialBenchView } from './bench-view-state.js';
import { compact, grouped, mbps, seconds, usAsMs } from './format.js';
import { sparkline } from './sparkline.js';

const COL = 15;

function Cell({ children, width = 9, bold }: { children: string; width?: number; bold?: boolean }) {
  return (
    <Box width={width} justifyContent="flex-end">
      <Text bold={bold}>{children}</Text>
    </Box>
  );
}

function LatencyRow({ label, l }: { label: string; l: LatencySummary | null }) {
  const cells = l && l.count > 0 ? [l.p50, l.p99, l.p999, l.max].map(usAsMs) : ['—', '—', '—', '—'];
  return (
    <Box>
      <Box width={COL}>
        <Text>{label}</Text>
      </Box>
      {cells.map((c, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: fixed columns
        <Cell key={i}>{c}</Cell>
      ))}
    </Box>
  );
}

export function BenchLiveView({ state }: { state: BenchViewState }) {
  const { info, latest } = state;
  const target = info ? (info.targetRate === null ? 'max rate' : `${grouped(info.targetRate)} msg/s`) : '';
  const total = info ? info.warmupSec + info.durationSec : 0;
  const elapsed = latest ? latest.endSec : 0;
  const throttled = latest?.targetRate !== null && latest !== null;
  const lastStep = state.steps.at(-1);
  return (
    <Box flexDirection="column">
      <Text bold>
        mq bench · driver {state.driver} · {state.messageSize} B
        {info
          ? ` · ${info.topics.length} topic × ${state.partitions} partitions · ${info.producers} producer / ${info.consumers} consumer · ${target}`
          : ''}
      </Text>
      <Text>
        <Text color={state.phase === 'measure' ? 'green' : 'yellow'}>{state.phase}</Text>
        {info ? `  ${seconds(elapsed)} / ${seconds(total)}` : '  connecting…'}
      </Text>
      <Box marginTop={1}>
        <Box width={COL} />
        <Cell bold>msg/s</Cell>
        <Cell bold>MB/s</Cell>
      </Box>
      <Box>
        <Box width={COL}>
          <Text>publish</Text>
        </Box>
        <Cell>{latest ? compact(latest.publishRate) : '—'}</Cell>
        <Cell>{latest ? mbps(latest.publishMBps) : '—'}</Cell>
        <Text>{`   errors ${latest ? compact(latest.publishErrorRate) : 0}/s`}</Text>
      </Box>
      <Box>
        <Box width={COL}>
          <Text>consume</Text>
        </Box>
        <Cell>{latest ? compact(latest.consumeRate) : '—'}</Cell>
        <Cell>{latest ? mbps(latest.consumeMBps) : '—'}</Cell>
        <Text>{`   backlog ${latest ? grouped(latest.backlog) : 0}`}</Text>
      </Box>
      <Box>
        <Box width={COL}>
          <Text>throughput</Text>
        </Box>
        <Text color="cyan">{sparkline(state.publishRates, 48)}</Text>
      </Box>
      <Box marginTop={1}>
        <Box width={COL}>
          <Text bold>latency ms</Text>
        </Box>
        <Cell bold>p50</Cell>
        <Cell bold>p99</Cell>
        <Cell bold>p99.9</Cell>
        <Cell bold>max</Cell>
      </Box>
      <LatencyRow label="publish" l={latest?.publishLatency ?? null} />
      <LatencyRow label="publish delay" l={throttled ? latest.publishDelay : null} />
      <LatencyRow label="end-to-end" l={latest?.endToEnd ?? null} />
      {lastStep ? (
        <Text>
          {`search: ${grouped(lastStep.rate)} msg/s ${lastStep.sustainable ? 'sustainable' : `not sustainable (${lastStep.reason})`}`}
        </Text>
      ) : null}
    </Box>
  );
}

export function LiveBench({
  runner,
  driver,
  messageSize,
  partitions,
}: {
  runner: BenchRunner;
  driver: string;
  messageSize: number;
  partitions: number;
}) {
  const [state, dispatch] = useReducer(benchViewReducer, initialBenchView(driver, messageSize, partitions));
  useEffect(() => {
    const onStart = (info: BenchStartInfo) => dispatch({ type: 'start', info });
    const onPhase = (phase: Phase) => dispatch({ type: 'phase', phase });
    const onTick = (stats: IntervalStats) => dispatch({ type: 'tick', stats });
    const onStep = (step: SearchStep) => dispatch({ type: 'step', step });
    const onDone = () => dispatch({ type: 'done' });
    runner.on('start', onStart).on('phase', onPhase).on('tick', onTick).on('step', onStep).on('done', onDone);
    return () => {
      runner
        .off('start', onStart)
        .off('phase', onPhase)
        .off('tick', onTick)
        .off('step', onStep)
        .off('done', onDone);
    };
  }, [runner]);
  return <BenchLiveView state={state} />;
}

/** Renders the live view on a TTY stream until unmount(). */
export function mountLiveView(
  runner: BenchRunner,
  props: { driver: string; messageSize: number; partitions: number },
  stdout: NodeJS.WriteStream,
): { unmount: () => void } {
  const instance = render(<LiveBench runner={runner} {...props} />, {
    stdout,
    patchConsole: false,
    exitOnCtrlC: false,
  });
  return { unmount: () => instance.unmount() };
}
