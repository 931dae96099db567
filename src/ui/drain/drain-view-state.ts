/**
 * State of the live drain view, driven by the runner's events through a reducer: the component
 * renders it and nothing else, so tests feed it fixed states.
 */
import type { LatencySummary } from '../../metrics/histogram.js';
import type { DrainStartInfo, DrainTick } from '../../tools/drain/runner.js';

export interface DrainViewState {
  phase: 'starting' | 'draining' | 'finishing' | 'done';
  info: DrainStartInfo | null;
  latest: DrainTick | null;
  /** Latencies of the latest interval that had any (an idle interval keeps the last ones shown). */
  timeInQueue: LatencySummary | null;
  processing: LatencySummary | null;
  /** Drain rate per interval (msg/s), for the sparkline. */
  drainRates: number[];
  log: string[];
}

export type DrainViewEvent =
  | { type: 'start'; info: DrainStartInfo }
  | { type: 'tick'; tick: DrainTick }
  | { type: 'log'; line: string }
  | { type: 'done' };

const HISTORY = 120;

export function initialDrainView(): DrainViewState {
  return {
    phase: 'starting',
    info: null,
    latest: null,
    timeInQueue: null,
    processing: null,
    drainRates: [],
    log: [],
  };
}

export function drainViewReducer(state: DrainViewState, e: DrainViewEvent): DrainViewState {
  switch (e.type) {
    case 'start':
      return { ...state, info: e.info, phase: 'draining' };
    case 'tick':
      return {
        ...state,
        phase: e.tick.phase,
        latest: e.tick,
        timeInQueue: e.tick.timeInQueue.count > 0 ? e.tick.timeInQueue : state.timeInQueue,
        processing: e.tick.processing.count > 0 ? e.tick.processing : state.processing,
        drainRates: [...state.drainRates, e.tick.rates.drain].slice(-HISTORY),
      };
    case 'log':
      return { ...state, log: [...state.log, e.line].slice(-3) };
    case 'done':
      return { ...state, phase: 'done' };
  }
}
