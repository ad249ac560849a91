// The example platform's command line:
//   tsx examples/deployer/main.ts FILE|DIR... [--cni-dir DIR] [--image IMAGE]
// Materializes every Topology and Sandbox in the given manifests (which must carry metadata.uid,
// as objects read back from the API server do).
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { parseAllDocuments } from 'yaml';
import { materialize } from './materialize.js';
import type { OwnerObject } from './owners.js';
import { isOwnerObject } from './owners.js';

export async function readOwnerManifests(paths: string[]): Promise<OwnerObject[]> {
  const owners: OwnerObject[] = [];
  for (const p of paths) {
    const files = (await stat(p)).isDirectory()
      ? (await readdir(p)).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(p, f))
      : [p];
    for (const file of files.sort()) {
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
        const value: unknown = doc.toJS();
        if (isOwnerObject(value)) owners.push(value);
      }
    }
  }
  return owners;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'cni-dir': { type: 'string' },
      image: { type: 'string', default: process.env.REAPER_TEST_IMAGE ?? 'reaper-test/busybox:1' },
    },
  });
  if (positionals.length === 0) throw new Error('usage: deployer FILE|DIR... [--cni-dir DIR] [--image IMAGE]');
  const docker = new Docker({
    socketPath: (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, ''),
  });
  for (const owner of await readOwnerManifests(positionals)) {
    const made = await materialize(owner, { docker, image: values.image!, cniDir: values['cni-dir'] });
    console.log(
      `${owner.kind} ${owner.metadata.namespace ?? 'default'}/${owner.metadata.name}: ` +
        `${made.containers.length} containers, ${made.networks.length} networks, ${made.leases.length} leases`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`deployer: ${(err as Error).message}`);
    process.exit(1);
  });
}
