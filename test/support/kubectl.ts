// kubectl as a person would use it, against the test environment's API server.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { requiredEnv } from './engines.js';

export const repoRoot = process.cwd();

export function kubectl(args: string[], input?: string): string {
  requiredEnv('KUBECONFIG');
  try {
    return execFileSync('kubectl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** Installs (or updates) reaper's CRDs and waits until the API serves them. */
export function installCrds(): void {
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', path.join(repoRoot, 'crds')]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', path.join(repoRoot, 'crds')]);
}
