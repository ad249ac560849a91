// What an agent needs of the engine on its node: the backends a policy lists and removes through,
// and whether the engine answers. Docker is the one engine reaper ships (docker-engine.ts); the
// fleet benchmark's hollow agents stand an in-memory one in its place (bench/lib/hollow-engine.ts).
import type { Policy } from '../core/policy.js';
import type { Backends } from './backend.js';

export interface RuntimeEngine {
  /** The backends a policy needs, fresh for one snapshot. */
  backendsFor(policy: Policy): Backends;
  /** Resolves when the engine answers; rejects with a message an operator can act on. */
  ping(): Promise<void>;
}
