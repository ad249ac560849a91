// The real host-local IPAM plugin, run as a CNI runtime runs it (engines.md): ADD allocates a
// lease file in the data directory, DEL releases it. Any subnet, IPv4 or IPv6.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { requiredEnv } from './engines.js';

export interface HostLocalCall {
  readonly command: 'ADD' | 'DEL';
  readonly dataDir: string;
  readonly network: string;
  readonly subnet: string;
  readonly containerId: string;
  readonly ifname?: string;
}

export interface HostLocalRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the plugin; resolves when it exits, whatever its exit code. */
export function runHostLocal(call: HostLocalCall): Promise<HostLocalRun> {
  const cniPath = requiredEnv('CNI_PATH');
  const config = {
    cniVersion: '1.0.0',
    name: call.network,
    ipam: { type: 'host-local', ranges: [[{ subnet: call.subnet }]], dataDir: call.dataDir },
  };
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(cniPath, 'host-local'), {
      env: {
        CNI_COMMAND: call.command,
        CNI_CONTAINERID: call.containerId,
        CNI_NETNS: '/dev/null',
        CNI_IFNAME: call.ifname ?? 'eth0',
        CNI_PATH: cniPath,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(config));
  });
}

/** ADD that must succeed: returns the leased address (without its prefix length). */
export async function leaseAddress(call: Omit<HostLocalCall, 'command'>): Promise<string> {
  const run = await runHostLocal({ ...call, command: 'ADD' });
  const address = (JSON.parse(run.stdout || '{}') as { ips?: { address: string }[] }).ips?.[0]?.address;
  if (run.code !== 0 || !address) throw new Error(`host-local ADD failed (${run.code}): ${run.stdout} ${run.stderr}`);
  return address.split('/')[0]!;
}

/** DEL that must succeed: releases whatever the container holds on that network. */
export async function releaseLease(call: Omit<HostLocalCall, 'command'>): Promise<void> {
  const run = await runHostLocal({ ...call, command: 'DEL' });
  if (run.code !== 0) throw new Error(`host-local DEL failed (${run.code}): ${run.stdout} ${run.stderr}`);
}
