#!/usr/bin/env node
// The reaper executable: the CLI's commands (sweep, plan, apply) and the controller (`run`).
import { buildProgram } from '../src/cli/program.js';
import { addRunCommand } from './run-command.js';

await addRunCommand(buildProgram()).parseAsync(process.argv);
