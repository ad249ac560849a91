#!/usr/bin/env node
// The reaper executable: the CLI's commands (sweep, plan, apply); the controller adds `run`.
import { buildProgram } from '../src/cli/program.js';

await buildProgram().parseAsync(process.argv);
