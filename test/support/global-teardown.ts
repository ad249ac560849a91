import { testenvDown } from './testenv.js';

// Tear down only what this run started; an environment someone brought up by hand stays up.
export default function globalTeardown(): void {
  const startedHere = (globalThis as { reaperTestenvStartedHere?: boolean }).reaperTestenvStartedHere;
  if (startedHere && !process.env.REAPER_KEEP_TESTENV) testenvDown();
}
