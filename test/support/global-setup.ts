import { testenvIsUp, testenvUp, testenvVariables } from './testenv.js';

// Jest starts its workers after this returns, so they inherit the variables set here.
export default function globalSetup(): void {
  const alreadyUp = testenvIsUp();
  (globalThis as { reaperTestenvStartedHere?: boolean }).reaperTestenvStartedHere = !alreadyUp;
  testenvUp();
  Object.assign(process.env, testenvVariables());
}
