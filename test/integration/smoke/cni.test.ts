// The host-local IPAM plugin is real: ADD writes a lease file, DEL removes it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requiredEnv } from '../../support/engines.js';

function hostLocal(command: 'ADD' | 'DEL', dataDir: string, containerId: string): string {
  const config = {
    cniVersion: '1.0.0',
    name: 'smoke-net',
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.231.0.0/24' }]], dataDir },
  };
  const cniPath = requiredEnv('CNI_PATH');
  const result = spawnSync(path.join(cniPath, 'host-local'), {
    input: JSON.stringify(config),
    encoding: 'utf8',
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: '/dev/null',
      CNI_IFNAME: 'eth0',
      CNI_PATH: cniPath,
    },
  });
  if (result.status !== 0) throw new Error(`host-local ${command} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

describe('CNI host-local plugin', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'reaper-smoke-cni-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('allocates a lease file and releases it', () => {
    const containerId = 'c0ffee'.repeat(10);
    const added = JSON.parse(hostLocal('ADD', dataDir, containerId)) as { ips: { address: string }[] };
    const ip = added.ips[0]!.address.split('/')[0]!;
    expect(ip).toMatch(/^10\.231\.0\.\d+$/);

    const store = path.join(dataDir, 'smoke-net');
    expect(readdirSync(store)).toContain(ip);
    expect(readFileSync(path.join(store, ip), 'utf8').split(/\r?\n/)).toEqual([containerId, 'eth0']);

    hostLocal('DEL', dataDir, containerId);
    expect(readdirSync(store)).not.toContain(ip);
    // The plugin's own bookkeeping stays behind.
    expect(readdirSync(store)).toEqual(expect.arrayContaining(['lock', 'last_reserved_ip.0']));
  });
});
