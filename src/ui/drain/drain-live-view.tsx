/**
 * The live drain view (ink): a progress bar with the remaining lag, drain / arrival / net rates,
 * ETA, per-partition lag bars, time in queue and processing latency. `DrainLiveView` is pure
 * (state in, frame out); `LiveDrain` connects it to a runner's events; `mountDrainView` renders
 * it on a TTY stream.
 */
import { Box, render, Text } from 'ink';
import { useEffect, useReducer } from 'react';
import type { DrainRunner, DrainStartInfo, DrainTick } from '../../tools/drain/runner.js';
import { compact, grouped, seconds } from '../format.js';
import { sparkline } from '../sparkline.js';
import { bar, eta, headline, latencyPair, megabytes, netRate } from './drain-format.js';
import { type DrainViewState, drainViewReducer, initialDrainView } from './drain-view-state.js';

/** Partitions shown with their own bar; the rest are summed on one line. */
const MAX_PARTITION_ROWS = 16;
const BAR = 40;
const PART_BAR = 24;

function PartitionRows({ tick, info }: { tick: DrainTick; info: DrainStartInfo }) {
  const startMax = Math.max(
    1,
    ...info.startLag.partitions.map((p) => p.lag),
    ...tick.partitions.map((p) => p.lag),
  );
  const shown = tick.partitions.slice(0, MAX_PARTITION_ROWS);
  const rest = tick.partitions.slice(MAX_PARTITION_ROWS);
  return (
    <Box flexDirection="column">
      {shown.map((p) => (
        <Text key={p.partition}>
          {`${`p${p.partition}`.padStart(5)} ${bar(p.lag / startMax, PART_BAR)} ${grouped(p.lag).padStart(11)}`}
        </Text>
      ))}
      {rest.length > 0 ? (
        <Text>{`  … ${rest.length} more partitions, lag ${grouped(rest.reduce((a, p) => a + p.lag, 0))}`}</Text>
      ) : null}
      {tick.tempLag !== null ? <Text>{`  temporary topic lag ${grouped(tick.tempLag)}`}</Text> : null}
    </Box>
  );
}

export function DrainLiveView({ state }: { state: DrainViewState }) {
  const { info, latest: t } = state;
  if (!info) return <Text>mq drain-backlog · measuring lag…</Text>;
  const start = info.startLag.total;
  const done = t ? Math.max(0, 1 - t.remaining / Math.max(start, 1)) : 0;
  const remaining = t ? t.remaining : start;
  const bytes = t ? t.remainingBytes : info.bytesPerMessage === null ? null : start * info.bytesPerMessage;
  return (
    <Box flexDirection="column">
      <Text bold>{headline(info)}</Text>
      <Text>
        <Text color={state.phase === 'done' ? 'green' : 'yellow'}>{state.phase}</Text>
        {`  ${seconds(t?.elapsedSec ?? 0)}  start lag ${grouped(start)}`}
      </Text>
      <Box marginTop={1}>
        <Text color="cyan">{bar(done, BAR)}</Text>
        <Text>{` ${(done * 100).toFixed(1)}%  remaining ${grouped(remaining)}${bytes === null ? '' : ` (${megabytes(bytes)})`}  ETA ${t ? eta(t.etaSec) : '—'}`}</Text>
      </Box>
      <Text>
        {t
          ? `drain ${compact(t.smoothed.drain)} msg/s · arrival ${compact(t.smoothed.arrival)} msg/s · net ${netRate(t.smoothed.net)} msg/s`
          : 'drain — · arrival — · net —'}
      </Text>
      <Text color="cyan">{sparkline(state.drainRates, BAR)}</Text>
      <Box marginTop={1}>{t ? <PartitionRows tick={t} info={info} /> : null}</Box>
      <Box marginTop={1} flexDirection="column">
        <Text>{`time in queue  ${state.timeInQueue ? latencyPair(state.timeInQueue) : '—'}`}</Text>
        <Text>{`processing     ${state.processing ? latencyPair(state.processing) : '—'}`}</Text>
        <Text>
          {t
            ? `processed ${grouped(t.totals.processed)} · retried ${grouped(t.totals.retried)} · dead-lettered ${grouped(t.totals.deadLettered)} · failed ${grouped(t.totals.failed)}`
            : ''}
        </Text>
        {t?.lastError ? <Text color="red">{`last error: ${t.lastError}`}</Text> : null}
        {state.log.map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the last few log lines, in order
          <Text key={i} dimColor>
            {l}
          </Text>
        ))}
      </Box>
    </Box>
  );
}

export function LiveDrain({ runner }: { runner: DrainRunner }) {
  const [state, dispatch] = useReducer(drainViewReducer, initialDrainView());
  useEffect(() => {
    const onStart = (info: DrainStartInfo) => dispatch({ type: 'start', info });
    const onTick = (tick: DrainTick) => dispatch({ type: 'tick', tick });
    const onLog = (line: string) => dispatch({ type: 'log', line });
    const onDone = () => dispatch({ type: 'done' });
    runner.on('start', onStart).on('tick', onTick).on('log', onLog).on('done', onDone);
    return () => {
      runner.off('start', onStart).off('tick', onTick).off('log', onLog).off('done', onDone);
    };
  }, [runner]);
  return <DrainLiveView state={state} />;
}

/** Renders the live view on a TTY stream until unmount(). */
export function mountDrainView(runner: DrainRunner, stdout: NodeJS.WriteStream): { unmount: () => void } {
  const instance = render(<LiveDrain runner={runner} />, { stdout, patchConsole: false, exitOnCtrlC: false });
  return { unmount: () => instance.unmount() };
}
