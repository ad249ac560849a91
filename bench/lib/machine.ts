// What a benchmark ran on, read from /proc and the engines, for bench/results.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
}

export function machine(): Machine {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const meminfo = safeRead('/proc/meminfo');
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length || os.cpus().length;
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const memKiB = Number(/^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo)?.[1] ?? os.totalmem() / 1024);
  return {
    cores,
    cpu,
    memoryGiB: memKiB / 1024 / 1024,
    kernel: os.release(),
    node: process.version,
  };
}

export function describeMachine(m: Machine = machine()): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGiB.toFixed(1)} GiB memory (/proc), Linux ${m.kernel}, Node ${m.node}`;
}

/** The commit measured, and whether the working tree had changes under src/ or controllers/. */
export function revision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'controllers'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean).length;
    return dirty > 0 ? `${head} (+${dirty} uncommitted files in src/ and controllers/)` : head;
  } catch {
    return 'unknown';
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The 1, 5 and 15 minute load averages: other work on the machine skews timings. */
export function loadAverage(): string {
  const [one, five, fifteen] = os.loadavg();
  return `${one!.toFixed(2)} / ${five!.toFixed(2)} / ${fifteen!.toFixed(2)}`;
}
