// Clients for the real engines that scripts/testenv brought up (for the tests through
// test/support/global-setup.ts, for the benchmarks through bench/run.ts). A missing variable
// means the setup did not run or failed: say so instead of falling back to anything else.
import * as k8s from '@kubernetes/client-node';
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: scripts/testenv up did not provide it (the integration tests' global setup and bench/run.ts run it)`,
    );
  }
  return value;
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(requiredEnv('KUBECONFIG'));
  return kc;
}

export function dockerClient(): Docker {
  const host = requiredEnv('DOCKER_HOST');
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Docker({ socketPath });
}

export function testImage(): string {
  return requiredEnv('REAPER_TEST_IMAGE');
}

/** A short random suffix so tests running side by side never collide on names. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
