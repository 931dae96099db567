/**
 * The live verify-loss view (ink): sent / acknowledged / consumed as bars against the messages
 * of the run, failures and indeterminate sends, anomalies found so far, faults injected.
 * `VerifyLiveView` is pure (state in, frame out); `mountVerifyView` connects it to a runner.
 */
import { Box, render, Text } from 'ink';
import { useEffect, useReducer } from 'react';
import type { VerifyRunner, VerifyStartInfo, VerifyTick } from '../../tools/verify/runner.js';
import { grouped } from '../format.js';
import { initialVerifyView, type VerifyViewState, verifyViewReducer } from './view-state.js';

const BAR = 30;

function bar(n: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR, Math.round((n / total) * BAR)) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
}

function Row({ label, n, total }: { label: string; n: number; total: number }) {
  return (
    <Box>
      <Box width={14}>
        <Text>{label}</Text>
      </Box>
      <Text color="cyan">{bar(n, total)}</Text>
      <Box width={12} justifyContent="flex-end">
        <Text>{grouped(n)}</Text>
      </Box>
    </Box>
  );
}

export function VerifyLiveView({ state }: { state: VerifyViewState }) {
  const { info, latest: t } = state;
  const total = info?.messages ?? 0;
  return (
    <Box flexDirection="column">
      <Text bold>
        mq verify-loss
        {info
          ? ` · ${grouped(info.messages)} messages · ${info.producers} producer / ${info.consumers} consumer · ${info.partitions} partitions`
          : ' · starting…'}
      </Text>
      <Text>
        {t ? `${t.phase}  ${(t.elapsedMs / 1000).toFixed(1)}s` : 'connecting…'}
        {info && info.faults.length > 0
          ? `  · faults ${t?.faults ?? 0} (${[...new Set(info.faults)].join(', ')})`
          : ''}
      </Text>
      <Box marginTop={1} flexDirection="column">
        <Row label="sent" n={t?.sent ?? 0} total={total} />
        <Row label="acknowledged" n={t?.acked ?? 0} total={total} />
        <Row label="consumed" n={t?.consumed ?? 0} total={total} />
      </Box>
      <Text>
        {`failed ${grouped(t?.failed ?? 0)} · indeterminate ${grouped(t?.indeterminate ?? 0)} · `}
        <Text
          color={(t?.anomalies ?? 0) > 0 ? 'red' : 'green'}
        >{`anomalies so far ${grouped(t?.anomalies ?? 0)}`}</Text>
      </Text>
      {state.logs.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a rolling log
        <Text key={i} dimColor>
          {l}
        </Text>
      ))}
    </Box>
  );
}

export function LiveVerify({ runner }: { runner: VerifyRunner }) {
  const [state, dispatch] = useReducer(verifyViewReducer, initialVerifyView);
  useEffect(() => {
    const onStart = (info: VerifyStartInfo) => dispatch({ type: 'start', info });
    const onTick = (tick: VerifyTick) => dispatch({ type: 'tick', tick });
    const onLog = (line: string) => dispatch({ type: 'log', line });
    const onDone = () => dispatch({ type: 'done' });
    runner.on('start', onStart).on('tick', onTick).on('log', onLog).on('done', onDone);
    return () => {
      runner.off('start', onStart).off('tick', onTick).off('log', onLog).off('done', onDone);
    };
  }, [runner]);
  return <VerifyLiveView state={state} />;
}

/** Renders the live view on a TTY stream until unmount(). */
export function mountVerifyView(runner: VerifyRunner, stdout: NodeJS.WriteStream): { unmount: () => void } {
  const instance = render(<LiveVerify runner={runner} />, {
    stdout,
    patchConsole: false,
    exitOnCtrlC: false,
  });
  return { unmount: () => instance.unmount() };
}
