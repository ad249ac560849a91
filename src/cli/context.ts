// What every CLI command needs: the policy (a YAML file or a ReapPolicy in the cluster), where
// owners come from, and the Docker engine.
import * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parsePolicy, parsePolicyYaml } from '../api/parse-policy.js';
import type { ParseResult } from '../api/parse-policy.js';
import { formatProblems } from '../api/problems.js';
import { describeOverlaps } from '../core/owner-scope.js';
import type { Policy } from '../core/policy.js';
import { loadDefaultKubeConfig } from '../kube/kube-config.js';
import { KubeListOwnerSource } from '../owners/kube-list-source.js';
import { ManifestDirOwnerSource } from '../owners/manifest-dir-source.js';
import type { OwnerSource } from '../owners/source.js';
import { assertDockerReachable, createDockerClient } from '../runtime/docker-client.js';
import type { SweepHost } from '../sweep/environment.js';
import { CliError, ExitCode } from './exit-codes.js';
import { withRivals } from './rival-policies.js';

export interface CommonOptions {
  policy: string;
  ownersFrom: string;
  /** Other policies to defer to: cluster, a directory, or none; by default where the policy came from. */
  policiesFrom?: string;
  node?: string;
}

let kubeConfig: k8s.KubeConfig | undefined;
export function loadKubeConfig(): k8s.KubeConfig {
  kubeConfig ??= loadDefaultKubeConfig();
  return kubeConfig;
}

/** A path that exists is a policy file; anything else names a ReapPolicy in the cluster. */
export async function loadPolicy(
  reference: string,
): Promise<{ policy: Policy; source: unknown; fromCluster: boolean }> {
  let result: ParseResult;
  let source: unknown;
  const fromCluster = !(existsSync(reference) || reference.includes('/') || /\.(ya?ml|json)$/.test(reference));
  if (!fromCluster) {
    const text = await readFile(reference, 'utf8').catch((err: Error) => {
      throw new CliError(`cannot read policy file ${reference}: ${err.message}`);
    });
    result = parsePolicyYaml(text);
    source = text;
  } else {
    const custom = loadKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    source = await custom
      .getClusterCustomObject({ group: 'reaper.dev', version: 'v1alpha1', plural: 'reappolicies', name: reference })
      .catch((err: unknown) => {
        const code = err instanceof k8s.ApiException ? err.code : undefined;
        throw new CliError(
          code === 404
            ? `no ReapPolicy named ${reference} in the cluster (and no file of that name)`
            : `cannot read ReapPolicy ${reference} from the cluster: ${(err as Error).message}`,
          ExitCode.BlockedOrFailedClosed,
        );
      });
    result = parsePolicy(source);
  }
  if (!result.ok) throw new CliError(`policy ${reference} is invalid:\n${formatProblems(result.problems)}`);
  return { policy: result.policy, source, fromCluster };
}

/**
 * The policy with the other policies it defers to (--policies-from; by default the cluster's when
 * the policy is the cluster's, none for a file). Overlapping claims are said on stderr.
 */
export async function loadScopedPolicy(options: CommonOptions): Promise<{ policy: Policy; source: unknown }> {
  const loaded = await loadPolicy(options.policy);
  const from = options.policiesFrom ?? (loaded.fromCluster ? 'cluster' : 'none');
  const scoped = await withRivals(loaded.policy, from, loadKubeConfig);
  for (const warning of scoped.warnings) process.stderr.write(`reaper: warning: ${warning}\n`);
  if (scoped.overlaps.length > 0) process.stderr.write(`reaper: warning: ${describeOverlaps(scoped.overlaps)}\n`);
  return { policy: scoped.policy, source: loaded.source };
}

export function ownerSourceFor(ownersFrom: string): OwnerSource {
  if (ownersFrom === 'cluster') return new KubeListOwnerSource(loadKubeConfig());
  if (!existsSync(ownersFrom)) throw new CliError(`--owners-from ${ownersFrom}: no such directory (or use "cluster")`);
  return new ManifestDirOwnerSource(ownersFrom);
}

export async function reachableDocker(): Promise<Docker> {
  const docker = createDockerClient();
  try {
    await assertDockerReachable(docker);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.BlockedOrFailedClosed);
  }
  return docker;
}

/** A CLI run's sweeps: on the node --node names (by default NODE_NAME, or this host), on the wall clock. */
export function cliHost(node: string | undefined): SweepHost {
  return { node: node ? node : (process.env.NODE_NAME ?? hostname()), now: () => Date.now(), random: Math.random };
}
