// The other ReapPolicies a CLI sweep defers to (owner-scope.ts): a resource another policy claims
// and reads differently is not this one's to judge, in the CLI as in the controller.
import * as k8s from '@kubernetes/client-node';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parsePolicy, parsePolicyYaml } from '../api/parse-policy.js';
import type { ParseResult } from '../api/parse-policy.js';
import type { ClaimOverlap } from '../core/owner-scope.js';
import { rivalsAmong } from '../core/owner-scope.js';
import type { Policy } from '../core/policy.js';
import { CliError, ExitCode } from './exit-codes.js';

/** Where the other policies come from: `cluster`, a directory of policy files, or `none`. */
export type PoliciesFrom = string;

const POLICY_FILE = /\.(ya?ml|json)$/i;

export interface ScopedPolicy {
  readonly policy: Policy;
  readonly overlaps: readonly ClaimOverlap[];
  /** Policies passed over because they do not parse: they claim nothing. */
  readonly warnings: readonly string[];
}

export async function withRivals(
  policy: Policy,
  from: PoliciesFrom,
  kubeConfig: () => k8s.KubeConfig,
): Promise<ScopedPolicy> {
  if (from === 'none') return { policy, overlaps: [], warnings: [] };
  const warnings: string[] = [];
  const others: Policy[] = [];
  for (const { name, result } of from === 'cluster' ? await clusterPolicies(kubeConfig()) : await dirPolicies(from)) {
    if (!result.ok) warnings.push(`policy ${name} does not parse and claims nothing`);
    else if (result.policy.name !== policy.name) others.push(result.policy);
  }
  const { rivals, overlaps } = rivalsAmong([policy, ...others]);
  return {
    policy: { ...policy, rivals: rivals.get(policy.name) ?? [] },
    overlaps: overlaps.filter((o) => o.policy === policy.name),
    warnings,
  };
}

async function clusterPolicies(kubeConfig: k8s.KubeConfig): Promise<{ name: string; result: ParseResult }[]> {
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const list = (await custom
    .listClusterCustomObject({ group: 'reaper.dev', version: 'v1alpha1', plural: 'reappolicies' })
    .catch((err: unknown) => {
      throw new CliError(
        `cannot read the cluster's other ReapPolicies, so claims they share cannot be ruled out: ${(err as Error).message}` +
          ' (--policies-from none sweeps as if this policy were the only one)',
        ExitCode.BlockedOrFailedClosed,
      );
    })) as { items?: { metadata?: { name?: string } }[] };
  return (list.items ?? []).map((object) => ({
    name: object.metadata?.name ?? '(unnamed)',
    result: parsePolicy(object),
  }));
}

async function dirPolicies(dir: string): Promise<{ name: string; result: ParseResult }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: Error) => {
    throw new CliError(`--policies-from ${dir}: ${err.message} (or use "cluster" or "none")`);
  });
  const policies: { name: string; result: ParseResult }[] = [];
  for (const entry of entries) {
    // Regular files only: a symlink could point anywhere.
    if (!entry.isFile() || !POLICY_FILE.test(entry.name)) continue;
    const file = path.join(dir, entry.name);
    policies.push({ name: file, result: parsePolicyYaml(await readFile(file, 'utf8')) });
  }
  return policies;
}
