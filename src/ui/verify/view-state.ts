/**
 * State of the live verify-loss view, driven by the runner's events through a reducer: the
 * component renders it and nothing else, so tests feed it fixed states.
 */
import type { VerifyStartInfo, VerifyTick } from '../../tools/verify/runner.js';

export interface VerifyViewState {
  info: VerifyStartInfo | null;
  latest: VerifyTick | null;
  logs: string[];
  done: boolean;
}

export type VerifyViewEvent =
  | { type: 'start'; info: VerifyStartInfo }
  | { type: 'tick'; tick: VerifyTick }
  | { type: 'log'; line: string }
  | { type: 'done' };

const LOG_LINES = 4;

export const initialVerifyView: VerifyViewState = { info: null, latest: null, logs: [], done: false };

export function verifyViewReducer(s: VerifyViewState, e: VerifyViewEvent): VerifyViewState {
  switch (e.type) {
    case 'start':
      return { ...s, info: e.info };
    case 'tick':
      return { ...s, latest: e.tick };
    case 'log':
      return { ...s, logs: [...s.logs, e.line].slice(-LOG_LINES) };
    case 'done':
      return { ...s, done: true };
  }
}
