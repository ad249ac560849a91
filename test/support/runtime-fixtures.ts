// Real Docker objects and real host-local leases for tests, all named under one prefix per test
// file so cleanup finds exactly what the file made.
import type Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allocateLease } from '../../examples/deployer/materialize.js';
import { dockerClient, requiredEnv, testImage, uniqueName } from './engines.js';

export class RuntimeFixtures {
  readonly prefix: string;
  readonly cniDir: string;

  /** `docker`: the shared engine unless a test brings its own (e.g. a private dockerd). */
  constructor(
    label: string,
    readonly docker: Docker = dockerClient(),
  ) {
    this.prefix = uniqueName(`rt-${label}`);
    this.cniDir = mkdtempSync(path.join(tmpdir(), `reaper-${label}-cni-`));
  }

  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  async container(
    suffix: string,
    options: { labels?: Record<string, string>; running?: boolean; network?: string; anonymousVolume?: boolean } = {},
  ): Promise<string> {
    const container = await this.docker.createContainer({
      name: this.name(suffix),
      Image: testImage(),
      Cmd: ['sleep', '3600'],
      Labels: options.labels ?? {},
      ...(options.anonymousVolume ? { Volumes: { '/data': {} } } : {}),
      HostConfig: { NetworkMode: options.network ?? 'none' },
    });
    if (options.running ?? true) await container.start();
    return container.id;
  }

  async network(suffix: string, labels: Record<string, string> = {}): Promise<string> {
    const network = await this.docker.createNetwork({ Name: this.name(suffix), Labels: labels });
    return network.id;
  }

  async volume(suffix: string, labels: Record<string, string> = {}): Promise<string> {
    const volume = (await this.docker.createVolume({ Name: this.name(suffix), Labels: labels })) as unknown as {
      Name?: string;
      name?: string;
    };
    return volume.Name ?? volume.name ?? this.name(suffix);
  }

  /** A real lease allocated by the host-local plugin: returns `<network>/<ip>`. */
  lease(network: string, containerId: string): Promise<string> {
    return allocateLease(this.cniDir, requiredEnv('CNI_PATH'), network, containerId);
  }

  async exists(kind: 'container' | 'network' | 'volume', id: string): Promise<boolean> {
    const object =
      kind === 'container'
        ? this.docker.getContainer(id)
        : kind === 'network'
          ? this.docker.getNetwork(id)
          : this.docker.getVolume(id);
    try {
      await object.inspect();
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  async cleanUp(): Promise<void> {
    for (const c of await this.docker.listContainers({ all: true })) {
      if (c.Names.some((n) => n.startsWith(`/${this.prefix}`))) {
        await this.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      }
    }
    for (const n of await this.docker.listNetworks()) {
      if (n.Name.startsWith(this.prefix))
        await this.docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined);
    }
    const { Volumes } = await this.docker.listVolumes();
    for (const v of Volumes ?? []) {
      if (v.Name.startsWith(this.prefix))
        await this.docker
          .getVolume(v.Name)
          .remove()
          .catch(() => undefined);
    }
    rmSync(this.cniDir, { recursive: true, force: true });
  }
}
