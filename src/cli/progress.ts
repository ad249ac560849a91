// A progress bar on stderr for long sweeps, only when a person is watching.
import cliProgress from 'cli-progress';
import type { Plan } from '../core/planner.js';

const WORTH_A_BAR = 20;

export interface Progress {
  onPlanned(plan: Plan): void;
  onItemDone(): void;
  stop(): void;
}

export function createProgress(enabled = Boolean(process.stderr.isTTY)): Progress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    onPlanned(plan) {
      if (!enabled || plan.selected.length < WORTH_A_BAR) return;
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'reaping [{bar}] {value}/{total} {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(plan.selected.length, 0);
    },
    onItemDone: () => bar?.increment(),
    stop: () => bar?.stop(),
  };
}
