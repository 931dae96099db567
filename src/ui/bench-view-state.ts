/**
 * State of the live bench view, driven by the runner's events through a reducer: the component
 * renders it and nothing else, so tests feed it fixed states.
 */
import type { IntervalStats, Phase } from '../tools/bench/intervals.js';
import type { SearchStep } from '../tools/bench/rate-search.js';
import type { BenchStartInfo } from '../tools/bench/runner.js';

export interface BenchViewState {
  driver: string;
  messageSize: number;
  partitions: number;
  info: BenchStartInfo | null;
  phase: Phase | 'starting' | 'done';
  latest: IntervalStats | null;
  /** Publish rate per interval (msg/s), for the sparkline. */
  publishRates: number[];
  consumeRates: number[];
  steps: SearchStep[];
}

export type BenchViewEvent =
  | { type: 'start'; info: BenchStartInfo }
  | { type: 'phase'; phase: Phase }
  | { type: 'tick'; stats: IntervalStats }
  | { type: 'step'; step: SearchStep }
  | { type: 'done' };

const HISTORY = 120;

export function initialBenchView(driver: string, messageSize: number, partitions: number): BenchViewState {
  return {
    driver,
    messageSize,
    partitions,
    info: null,
    phase: 'starting',
    latest: null,
    publishRates: [],
    consumeRates: [],
    steps: [],
  };
}

export function benchViewReducer(state: BenchViewState, e: BenchViewEvent): BenchViewState {
  switch (e.type) {
    case 'start':
      return { ...state, info: e.info };
    case 'phase':
      return { ...state, phase: e.phase };
    case 'tick':
      // Drain intervals are short and mostly idle: the view keeps the last measured figures
      // (and the chart) and follows only the backlog going down.
      if (e.stats.phase === 'drain') {
        const keep = state.latest ?? e.stats;
        return {
          ...state,
          latest: { ...keep, backlog: e.stats.backlog, endSec: e.stats.endSec, totals: e.stats.totals },
        };
      }
      return {
        ...state,
        latest: e.stats,
        publishRates: [...state.publishRates, e.stats.publishRate].slice(-HISTORY),
        consumeRates: [...state.consumeRates, e.stats.consumeRate].slice(-HISTORY),
      };
    case 'step':
      return { ...state, steps: [...state.steps, e.step] };
    case 'done':
      return { ...state, phase: 'done' };
  }
}
