// Turns an owner into what a platform would create for it: Docker networks and containers labelled
// with the ownership contract, and one host-local IP lease per container and network.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import type { OwnerObject, SandboxSpec, TopologySpec } from './owners.js';
import { ownerLabels } from './owners.js';

export interface MaterializeOptions {
  docker: Docker;
  image: string;
  /** host-local dataDir; no leases are allocated when absent. */
  cniDir?: string | undefined;
  cniPath?: string;
}

export interface Materialized {
  containers: string[];
  networks: string[];
  leases: string[];
}

export async function materialize(owner: OwnerObject, options: MaterializeOptions): Promise<Materialized> {
  const labels = ownerLabels(owner);
  const prefix = `${owner.metadata.namespace ?? 'default'}.${owner.metadata.name}`;
  const plan =
    owner.kind === 'Topology' ? topologyPlan(owner.spec as TopologySpec) : sandboxPlan(owner.spec as SandboxSpec);

  const result: Materialized = { containers: [], networks: [], leases: [] };
  for (const network of plan.networks) {
    const name = `${prefix}.${network.name}`;
    await ensureNetwork(options.docker, name, labels, network.subnet);
    result.networks.push(name);
  }
  for (const node of plan.nodes) {
    const name = `${prefix}.${node.name}`;
    const networks = node.networks.map((n) => `${prefix}.${n}`);
    const id = await ensureContainer(options.docker, name, labels, node.image ?? options.image, node.command, networks);
    result.containers.push(name);
    if (options.cniDir) {
      for (const network of networks) {
        result.leases.push(await allocateLease(options.cniDir, options.cniPath ?? '/usr/lib/cni', network, id));
      }
    }
  }
  return result;
}

interface Plan {
  networks: { name: string; subnet?: string }[];
  nodes: { name: string; image: string | undefined; command: string[]; networks: string[] }[];
}

function topologyPlan(spec: TopologySpec): Plan {
  return {
    networks: spec.networks ?? [],
    nodes: (spec.nodes ?? []).map((n) => ({
      name: n.name,
      image: n.image,
      command: ['sleep', '86400'],
      networks: n.networks ?? [],
    })),
  };
}

function sandboxPlan(spec: SandboxSpec): Plan {
  const network = spec.network ?? 'sandbox';
  return {
    networks: [{ name: network }],
    nodes: [{ name: 'box', image: spec.image, command: spec.command ?? ['sleep', '86400'], networks: [network] }],
  };
}

async function ensureNetwork(docker: Docker, name: string, labels: Record<string, string>, subnet?: string) {
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  await docker.createNetwork({
    Name: name,
    Driver: 'bridge',
    Labels: labels,
    ...(subnet ? { IPAM: { Config: [{ Subnet: subnet }] } } : {}),
  });
}

async function ensureContainer(
  docker: Docker,
  name: string,
  labels: Record<string, string>,
  image: string,
  command: string[],
  networks: string[],
): Promise<string> {
  const existing = await docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } });
  if (existing[0]) return existing[0].Id;
  const [first, ...rest] = networks;
  const container = await docker.createContainer({
    name,
    Image: image,
    Cmd: command,
    Labels: labels,
    HostConfig: { NetworkMode: first ?? 'none' },
  });
  for (const network of rest) await docker.getNetwork(network).connect({ Container: container.id });
  await container.start();
  return container.id;
}

/** Runs the real host-local plugin, as a CNI runtime would, and returns the leased IP. */
export async function allocateLease(cniDir: string, cniPath: string, network: string, containerId: string) {
  const config = {
    cniVersion: '1.0.0',
    name: network,
    ipam: { type: 'host-local', ranges: [[{ subnet: leaseSubnet(network) }]], dataDir: cniDir },
  };
  const stdout = await runPlugin(path.join(cniPath, 'host-local'), JSON.stringify(config), {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: containerId,
    CNI_NETNS: '/dev/null',
    CNI_IFNAME: 'eth0',
    CNI_PATH: cniPath,
  });
  const parsed = JSON.parse(stdout) as { ips?: { address: string }[] };
  const address = parsed.ips?.[0]?.address;
  if (!address) throw new Error(`host-local returned no IP for ${network}: ${stdout}`);
  return `${network}/${address.split('/')[0]}`;
}

/** A stable /24 per network name inside 10.200.0.0/16, so leases need no Docker coordination. */
export function leaseSubnet(network: string): string {
  const octet = createHash('sha256').update(network).digest()[0]!;
  return `10.200.${octet}.0/24`;
}

function runPlugin(binary: string, stdin: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${binary} exited ${code}: ${out.trim()} ${err.trim()}`)),
    );
    child.stdin.end(stdin);
  });
}
