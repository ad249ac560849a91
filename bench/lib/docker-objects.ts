// Docker objects a benchmark run creates: every one carries the run's own label key (which is also
// the owner-key label the run's policy matches on), so listings, the reaper and the cleanup see
// exactly this run's objects and nobody else's.
import Docker from 'dockerode';
import pLimit from 'p-limit';
import { randomBytes, randomUUID } from 'node:crypto';
import { requiredEnv } from '../../test/support/engines.js';
import type { OwnerScope } from '../../test/support/owner-labels.js';
import { ownerLabels } from '../../test/support/owner-labels.js';

export function benchDocker(): Docker {
  return new Docker({ socketPath: requiredEnv('DOCKER_HOST').replace(/^unix:\/\//, '') });
}

export interface Lab {
  /** Owner key (a uid) of each owner, none of them live. */
  readonly ownerKeys: string[];
  readonly containerIds: string[];
  readonly networkIds: string[];
}

export class BenchObjects {
  readonly runId = randomBytes(4).toString('hex');
  /** The label key: its value on each object is the owner key. */
  readonly label = `bench.reaper.dev/run-${this.runId}`;

  /**
   * The labels of an object made for an owner: the key under the run's label, and the owner's kind
   * and namespace, which place it in the run's policy's scope. A lab's owners never existed: they
   * are Topologies of the namespace named like the run.
   */
  labelsFor(key: string, owner: OwnerScope = { kind: 'Topology', namespace: this.prefix }): Record<string, string> {
    return ownerLabels(this.label, key, owner);
  }
  readonly prefix: string;
  readonly docker = benchDocker();
  private closing = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(benchmark: string) {
    this.prefix = `rbench-${benchmark}-${this.runId}`;
  }

  /**
   * Owners with `perOwner` stopped containers each on the owner's own bridge network (explicit
   * /24 subnets, since Docker's default pools hold only about 30 networks), created with bounded
   * concurrency. The containers are created and never started: stopped in Docker's sense (what
   * `docker container prune` removes), and what a crashed deployer often leaves. Starting 1,000
   * containers takes minutes on a busy two-core machine and changes nothing about removing them.
   */
  async createLab(options: { owners: number; perOwner: number; concurrency: number; image: string }): Promise<Lab> {
    const limit = pLimit(options.concurrency);
    const ownerKeys = Array.from({ length: options.owners }, () => randomUUID());
    const networkIds = await this.createNetworks(ownerKeys, limit);
    const jobs: Promise<string>[] = [];
    for (let c = 0; c < options.perOwner; c++) {
      for (let o = 0; o < options.owners; o++) {
        jobs.push(
          limit(async () => {
            const container = await this.create(() =>
              this.docker.createContainer({
                name: `${this.prefix}-o${o}-c${c}`,
                Image: options.image,
                Cmd: ['true'],
                Labels: this.labelsFor(ownerKeys[o]!),
                HostConfig: { NetworkMode: `${this.prefix}-o${o}` },
              }),
            );
            return container.id;
          }),
        );
      }
    }
    return { ownerKeys, containerIds: await Promise.all(jobs), networkIds };
  }

  /**
   * Runs one creation unless the cleanup has begun (then it throws), and lets the cleanup wait for
   * it: nothing is created behind the cleanup's back, even when a signal stops the run mid-setup.
   */
  async create<T>(creation: () => Promise<T>): Promise<T> {
    if (this.closing) throw new Error(`${this.prefix}: cleaning up, nothing more is created`);
    const made = creation();
    this.inFlight.add(made);
    try {
      return await made;
    } finally {
      this.inFlight.delete(made);
    }
  }

  private async createNetworks(ownerKeys: string[], limit: ReturnType<typeof pLimit>): Promise<string[]> {
    // A /16 of 10.0.0.0/8 per run, chosen at random; on an overlap with someone's network, another.
    for (let attempt = 0; ; attempt++) {
      const second = 64 + Math.floor(Math.random() * 128);
      const created = await Promise.allSettled(
        ownerKeys.map((key, o) =>
          limit(async () => {
            const network = await this.create(() =>
              this.docker.createNetwork({
                Name: `${this.prefix}-o${o}`,
                Driver: 'bridge',
                Labels: this.labelsFor(key),
                IPAM: { Config: [{ Subnet: `10.${second}.${o % 256}.0/24` }] },
              }),
            );
            return network.id;
          }),
        ),
      );
      const failure = created.find((c) => c.status === 'rejected');
      if (!failure) return created.map((c) => (c as PromiseFulfilledResult<string>).value);
      const err = failure.reason as Error;
      if (attempt >= 5 || !/overlap/i.test(err.message)) throw err;
      await this.removeAll();
    }
  }

  async count(): Promise<{ containers: number; networks: number }> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [this.label] } });
    const networks = await this.docker.listNetworks({ filters: { label: [this.label] } });
    return { containers: containers.length, networks: networks.length };
  }

  /**
   * Removes everything of this run (force), whatever state it is in, once the creations in flight
   * have settled; creates nothing after; says what it could not remove.
   */
  async cleanUp(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
    await this.removeAll();
  }

  private async removeAll(): Promise<void> {
    const limit = pLimit(8);
    const left: string[] = [];
    const remove = (what: string, removal: () => Promise<unknown>) =>
      limit(() =>
        removal().catch((err: unknown) => {
          if ((err as { statusCode?: number }).statusCode !== 404) left.push(`${what}: ${(err as Error).message}`);
        }),
      );
    try {
      const containers = await this.docker.listContainers({ all: true, filters: { label: [this.label] } });
      await Promise.all(
        containers.map((c) =>
          remove(`container ${c.Names[0] ?? c.Id}`, () =>
            this.docker.getContainer(c.Id).remove({ force: true, v: true }),
          ),
        ),
      );
      const networks = await this.docker.listNetworks({ filters: { label: [this.label] } });
      await Promise.all(networks.map((n) => remove(`network ${n.Name}`, () => this.docker.getNetwork(n.Id).remove())));
    } catch (err) {
      left.push(`listing: ${(err as Error).message}`);
    }
    if (left.length > 0) console.error(`bench: cleanup of ${this.prefix} left:\n  ${left.join('\n  ')}`);
  }
}

/**
 * Counts the Docker API calls a client makes, by method and path (ids replaced by {id}), by
 * wrapping its modem's dial: nothing else about the client changes.
 */
export function countCalls(docker: Docker): { counts: Map<string, number>; reset(): void; total(): number } {
  const counts = new Map<string, number>();
  const modem = (
    docker as unknown as { modem: { dial: (options: { method?: string; path?: string }, cb: unknown) => unknown } }
  ).modem;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, cb) => {
    const path = (options.path ?? '')
      .replace(/\?.*$/, '')
      .replace(/^\/v[0-9.]+/, '')
      .replace(/^\/(containers|networks|volumes)\/(?!json$|create$|prune$)[^/]+/, '/$1/{id}');
    const key = `${options.method ?? 'GET'} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return dial(options, cb);
  };
  return {
    counts,
    reset: () => counts.clear(),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
  };
}
