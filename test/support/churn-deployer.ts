// A deployer under churn: it creates owners (Topologies) and what a platform makes for each (a
// container, a volume, a host-local lease, and for one owner in eight a network of its own with the
// container on it: Docker creates and removes networks slowly and one at a time), lets each live a
// few seconds, then deletes it, tearing its resources down itself half the time and leaving them to
// reaper (a crashed deployer) otherwise. Right before deleting an owner it checks that every
// resource it made for it is still there: one missing is a live owner's resource lost.
import type Docker from 'dockerode';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { leaseAddress, releaseLease } from './cni.js';
import { testImage } from './engines.js';
import type { OwnerObjectLike } from './owner-labels.js';
import { labelsOfOwner } from './owner-labels.js';

export interface ChurnOwner {
  readonly name: string;
  readonly uid: string;
  readonly container: string;
  /** Network id, for the owners that have one. */
  readonly network?: string;
  readonly volume: string;
  /** `<network>/<ip>` in the lease store. */
  readonly lease: string;
  /** Whether the deployer removed the resources itself after deleting the owner. */
  tornDown?: boolean;
}

export interface ChurnTarget {
  readonly docker: Docker;
  /**
   * Creates the owner in the API server; returns it as stored (its uid is the owner key; its kind
   * and namespace go on the resources' labels with it, as the ownership contract has them).
   */
  readonly createOwner: (name: string) => Promise<OwnerObjectLike>;
  readonly deleteOwner: (name: string) => Promise<void>;
  /** The label key the policy attributes by. */
  readonly labelKey: string;
  /** Prefix of every Docker object name (so a cleanup finds them). */
  readonly namePrefix: string;
  readonly cniDir: string;
  readonly cniNetwork: string;
  readonly leaseSubnet: string;
}

export interface ChurnFigures {
  readonly created: number;
  readonly resourcesCreated: number;
  readonly deleted: number;
  readonly tornDownByDeployer: number;
  readonly leftToReaper: number;
  readonly live: number;
  readonly lost: readonly string[];
  readonly errors: readonly string[];
  readonly seconds: number;
}

const MIN_LIFETIME_MS = 2_000;
const MAX_LIFETIME_MS = 8_000;

export class ChurnDeployer {
  readonly live = new Map<string, ChurnOwner>();
  readonly deleted: ChurnOwner[] = [];
  readonly lost: string[] = [];
  readonly errors: string[] = [];
  private created = 0;
  private resourcesCreated = 0;
  private sequence = 0;

  constructor(private readonly target: ChurnTarget) {}

  /** Runs `workers` loops of create-or-delete for `durationMs`; owners alive at the end stay. */
  async run(durationMs: number, workers: number): Promise<ChurnFigures> {
    const startedAt = Date.now();
    const deadline = startedAt + durationMs;
    const dueAt = new Map<string, number>();
    const loop = async () => {
      while (Date.now() < deadline) {
        const due = [...dueAt].find(([, at]) => at <= Date.now());
        try {
          if (due) {
            dueAt.delete(due[0]);
            await this.remove(due[0]);
          } else {
            const owner = await this.create();
            dueAt.set(owner.name, Date.now() + MIN_LIFETIME_MS + Math.random() * (MAX_LIFETIME_MS - MIN_LIFETIME_MS));
          }
        } catch (err) {
          this.errors.push((err as Error).message.split('\n')[0]!);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
    return this.figures((Date.now() - startedAt) / 1000);
  }

  figures(seconds: number): ChurnFigures {
    return {
      created: this.created,
      resourcesCreated: this.resourcesCreated,
      deleted: this.deleted.length,
      tornDownByDeployer: this.deleted.filter((o) => o.tornDown).length,
      leftToReaper: this.deleted.filter((o) => !o.tornDown).length,
      live: this.live.size,
      lost: this.lost,
      errors: this.errors,
      seconds,
    };
  }

  private async create(): Promise<ChurnOwner> {
    const { docker, labelKey, namePrefix } = this.target;
    const index = this.sequence++;
    const name = `churn-${index}`;
    const object = await this.target.createOwner(name);
    const labels = labelsOfOwner(labelKey, object);
    const uid = object.metadata!.uid!;
    // A subnet of its own per network (10.252.0.0/16 in /28s): Docker's default pools would run out.
    const network =
      index % 8 === 0
        ? await docker.createNetwork({
            Name: `${namePrefix}-${name}`,
            Labels: labels,
            IPAM: { Config: [{ Subnet: `10.252.${index >> 7}.${((index >> 3) & 15) << 4}/28` }] },
          })
        : undefined;
    const container = await docker.createContainer({
      name: `${namePrefix}-${name}`,
      Image: testImage(),
      Cmd: ['sleep', '3600'],
      Labels: labels,
      HostConfig: { NetworkMode: network ? `${namePrefix}-${name}` : 'none' },
    });
    const volume = `${namePrefix}-${name}`;
    await docker.createVolume({ Name: volume, Labels: labels });
    const address = await leaseAddress({
      dataDir: this.target.cniDir,
      network: this.target.cniNetwork,
      subnet: this.target.leaseSubnet,
      containerId: container.id,
    });
    const owner: ChurnOwner = {
      name,
      uid,
      container: container.id,
      ...(network ? { network: network.id } : {}),
      volume,
      lease: `${this.target.cniNetwork}/${address}`,
    };
    this.live.set(name, owner);
    this.created++;
    this.resourcesCreated += network ? 4 : 3;
    return owner;
  }

  private async remove(name: string): Promise<void> {
    const owner = this.live.get(name)!;
    this.lost.push(...(await this.missing(owner)));
    await this.target.deleteOwner(name);
    this.live.delete(name);
    this.deleted.push(owner);
    if (this.deleted.length % 2 === 0) return; // left behind, as by a deployer that crashed
    owner.tornDown = true;
    const { docker } = this.target;
    // reaper may get there first now that the owner is gone: NotFound is fine, and so is a removal
    // reaper has in progress (wait for it to end, so that the network and volume are free after it).
    await removeContainer(docker.getContainer(owner.container));
    await releaseLease({
      dataDir: this.target.cniDir,
      network: this.target.cniNetwork,
      subnet: this.target.leaseSubnet,
      containerId: owner.container,
    });
    if (owner.network) await ignoreNotFound(docker.getNetwork(owner.network).remove());
    await ignoreNotFound(docker.getVolume(owner.volume).remove());
  }

  /** The kinds of resource made for an owner. */
  static kindsOf(owner: ChurnOwner): string[] {
    return ['container', 'volume', 'lease', ...(owner.network ? ['network'] : [])];
  }

  /** Which of an owner's resources are gone (each as "<owner> (<uid>) <kind>"). */
  async missing(owner: ChurnOwner): Promise<string[]> {
    const { docker } = this.target;
    const checks: [string, Promise<boolean>][] = [
      ['container', exists(docker.getContainer(owner.container).inspect())],
      ['volume', exists(docker.getVolume(owner.volume).inspect())],
      ['lease', Promise.resolve(this.leaseHeldBy(owner.lease) === owner.container)],
    ];
    if (owner.network) checks.push(['network', exists(docker.getNetwork(owner.network).inspect())]);
    const missing: string[] = [];
    for (const [kind, check] of checks) if (!(await check)) missing.push(`${owner.name} (${owner.uid}) ${kind}`);
    return missing;
  }

  /** The container id a lease file holds, if the file is there. */
  leaseHeldBy(lease: string): string | undefined {
    const file = path.join(this.target.cniDir, lease);
    return existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/)[0] : undefined;
  }
}

async function exists(inspect: Promise<unknown>): Promise<boolean> {
  try {
    await inspect;
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true });
  } catch (err) {
    const { statusCode, message } = err as { statusCode?: number; message?: string };
    if (statusCode === 404) return;
    if (statusCode !== 409 || !/already in progress/.test(message ?? '')) throw err;
    for (let tries = 0; tries < 300 && (await exists(container.inspect())); tries++) await sleep(100);
  }
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}
