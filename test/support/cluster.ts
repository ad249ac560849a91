// The real one-node cluster (`scripts/testenv up cluster`, started by test/support/cluster-setup.ts
// for the `node` jest project): kubectl and helm against it, and images put into its containerd
// (the node pulls nothing). Every helper throws when the cluster is not there: a test that needs
// the node fails, it never skips.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface Cluster {
  readonly kubeconfig: string;
  /** The node's name, as NODE_NAME reaches its pods. */
  readonly node: string;
  readonly containerdSocket: string;
  /** kubectl, helm and ctr, in that order. */
  readonly kubectlBin: string;
  readonly helmBin: string;
  readonly ctrBin: string;
}

export function cluster(): Cluster {
  const missing = [
    'REAPER_CLUSTER_KUBECONFIG',
    'REAPER_CLUSTER_BIN',
    'REAPER_CLUSTER_CONTAINERD',
    'REAPER_CLUSTER_NODE',
  ].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set: this test needs the one-node cluster. Run it in the jest project ` +
        `"node" (npm run test:node), whose global setup runs scripts/testenv up cluster.`,
    );
  }
  const [k8sBin, helmBin, containerdBin] = process.env.REAPER_CLUSTER_BIN!.split(':') as [string, string, string];
  return {
    kubeconfig: process.env.REAPER_CLUSTER_KUBECONFIG!,
    node: process.env.REAPER_CLUSTER_NODE!,
    containerdSocket: process.env.REAPER_CLUSTER_CONTAINERD!,
    kubectlBin: path.join(k8sBin, 'kubectl'),
    helmBin: path.join(helmBin, 'helm'),
    ctrBin: path.join(containerdBin, 'ctr'),
  };
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runIn(command: string, args: string[], env: Record<string, string>, input?: string, timeoutMs = 300_000): Ran {
  const ran = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
  });
  if (ran.error) throw ran.error;
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr };
}

function must(what: string, ran: Ran): string {
  if (ran.code !== 0) throw new Error(`${what} failed (exit ${ran.code}):\n${ran.stderr}${ran.stdout}`);
  return ran.stdout;
}

/** kubectl against the cluster; throws with its output when it fails. */
export function clusterKubectl(args: string[], input?: string): string {
  return must(`kubectl ${args.join(' ')}`, clusterKubectlRun(args, input));
}

export function clusterKubectlRun(args: string[], input?: string): Ran {
  const c = cluster();
  return runIn(c.kubectlBin, ['--kubeconfig', c.kubeconfig, ...args], {}, input);
}

// Helm's cache, config and data in the cluster's state directory (which `down` removes), so no
// user's repositories or plugins count.
function helmEnv(): Record<string, string> {
  const kubeconfig = cluster().kubeconfig;
  const home = path.join(path.dirname(kubeconfig), 'helm');
  return {
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
}

export function clusterHelmRun(args: string[], timeoutMs?: number): Ran {
  return runIn(cluster().helmBin, args, helmEnv(), undefined, timeoutMs);
}

/** helm against the cluster; throws with its output when it fails. */
export function clusterHelm(args: string[], timeoutMs?: number): string {
  return must(`helm ${args.join(' ')}`, clusterHelmRun(args, timeoutMs));
}

/** reaper's image in the node's containerd (made by test/support/cluster-setup.ts): repository and tag. */
export function reaperImage(): { repository: string; tag: string } {
  const image = process.env.REAPER_CLUSTER_IMAGE;
  if (!image) throw new Error('REAPER_CLUSTER_IMAGE is not set: the "node" project\'s global setup did not run');
  const at = image.lastIndexOf(':');
  return { repository: image.slice(0, at), tag: image.slice(at + 1) };
}

/** ctr against the node's containerd, in the kubelet's namespace (k8s.io). */
export function nodeCtr(args: string[]): string {
  const c = cluster();
  return must(`ctr ${args.join(' ')}`, runIn(c.ctrBin, ['-a', c.containerdSocket, '-n', 'k8s.io', ...args], {}));
}
