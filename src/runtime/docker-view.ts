// The agent's runtime from Docker's events (design §3, "The runtime from events"): the engine is
// listed once (containers, networks, volumes), then followed through its event stream, each event
// applied by inspecting the one object it names again (or letting it go on destroy). A sweep reads
// a snapshot from here instead of listing Docker; only a break of the stream, and a slow safety
// interval, list it again. While the stream is broken and the engine not listed again, the view
// cannot be read: a sweep that reads it fails closed and says why.
//
// The order that loses nothing: subscribe first, with `since` a little before the listing starts,
// then list. dockerd answers the subscription before it registers it, and `since` replays what
// happened in between from its event buffer; every event from the subscription on is applied after
// the listing by inspecting afresh, so an event the listing already reflects only costs an inspect.
import type { ContainerResource, RuntimeResource } from '../core/model.js';
import type { BackoffOptions } from '../kube/backoff.js';
import { backoffDelay } from '../kube/backoff.js';
import type { Logger } from '../observe/logger.js';
import type { Backends, RuntimeBackend } from './backend.js';
import { DOCKER_CALL_TIMEOUT_MS } from './docker-client.js';
import type {
  ContainerRecord,
  DockerEvent,
  DockerObjectType,
  DockerResources,
  NetworkRecord,
  ViewPhase,
} from './docker-objects.js';
import { attachedTo, effectsOf, resourcesOf, unreadableReason } from './docker-objects.js';
import type { DockerViewApi, EventSubscription } from './docker-view-api.js';
import type { VolumeResource } from '../core/model.js';

export interface DockerViewOptions {
  readonly api: DockerViewApi;
  readonly now: () => number;
  readonly logger: Logger;
  /** The engine is listed again this often even while its stream is whole, to correct any drift. */
  readonly relistIntervalMs: number;
  /** Between attempts to list and subscribe again after a failure. */
  readonly retry?: BackoffOptions;
  readonly random?: () => number;
  /** The view became readable (listed, following) or stopped being so (`reason` says why). */
  readonly onReadableChange?: (readable: boolean, reason?: string) => void;
}

/**
 * `since` is this far before the listing: the engine's clock and ours are one on the node, and a
 * second more replays a few events, each only an inspect.
 */
const SINCE_MARGIN_S = 2;
const DEFAULT_RETRY: BackoffOptions = { baseMs: 250, maxMs: 10_000, jitter: 0.2 };
/** Container ids known to be gone are remembered (ids are never reused) up to this many. */
const GONE_REMEMBERED = 50_000;
const FULL_CONTAINER_ID = /^[0-9a-f]{64}$/;
/** A read waits this long at most for the inspects of events already received. */
const SETTLE_TIMEOUT_MS = DOCKER_CALL_TIMEOUT_MS;

function release(inspection: Inspection, due: (waiting: Inspection['waiting'][number]) => boolean): void {
  for (let i = inspection.waiting.length - 1; i >= 0; i--) {
    const waiting = inspection.waiting[i]!;
    if (!due(waiting)) continue;
    inspection.waiting.splice(i, 1);
    waiting.resolve();
  }
}

interface Inspection {
  /** Another event came while inspecting: inspect once more. */
  again: boolean;
  /** The object was destroyed while inspecting: what that inspect read is of the past. */
  stale: boolean;
  /** Inspects started, and applied (or passed over as stale), for this object so far. */
  started: number;
  applied: number;
  /** Reads waiting for an inspect: each resolves once `round` is applied, or the inspection ends. */
  readonly waiting: { readonly round: number; readonly resolve: () => void }[];
}

interface Objects {
  readonly containers: Map<string, ContainerRecord>;
  readonly networks: Map<string, NetworkRecord>;
  readonly volumes: Map<string, VolumeResource>;
}

export class DockerView {
  private phase: ViewPhase;
  private objects: Objects = { containers: new Map(), networks: new Map(), volumes: new Map() };
  /** Bumped whenever the objects are replaced or dropped: an inspection of an older epoch is not applied. */
  private epoch = 0;
  /** Each attempt to subscribe and list; events of an attempt that is not serving are not applied. */
  private attempts = 0;
  private serving: { readonly attempt: number; readonly subscription: EventSubscription } | undefined;
  private connecting = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly inspections = new Map<string, Inspection>();
  private readonly gone = new Set<string>();
  private readonly logger: Logger;

  constructor(private readonly options: DockerViewOptions) {
    this.phase = { state: 'starting', since: options.now() };
    this.logger = options.logger.child('docker-view');
  }

  /** Lists the engine and follows its events; retries by itself until stopped. */
  start(): void {
    if (this.stopped || this.serving || this.connecting) return;
    void this.connect('start');
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.serving?.subscription.close();
    this.serving = undefined;
  }

  get readable(): boolean {
    return this.phase.state === 'following';
  }

  /**
   * The first listing is under way and nothing has failed yet: a sweep now would only fail closed,
   * so callers wait. Once an attempt has failed, they sweep and fail closed, saying why.
   */
  get starting(): boolean {
    return this.phase.state === 'starting' && this.phase.error === undefined;
  }

  /** Why the view cannot be read now; undefined when it can. */
  unreadableReason(): string | undefined {
    return unreadableReason(this.phase);
  }

  /**
   * The containers, networks and (labelled) volumes the engine holds, with every event received so
   * far applied. Throws, saying why, when the view is not following the engine.
   */
  async read(): Promise<DockerResources> {
    await this.settled();
    const why = this.unreadableReason();
    if (why !== undefined) throw new Error(why);
    return resourcesOf(this.objects);
  }

  /**
   * The containers among `ids` that the engine holds, looked up in the engine for each the view does
   * not hold yet: an object whose event is still on its way is never assumed absent. An id the
   * engine does not know is remembered as gone (container ids are never reused). Throws when the
   * view cannot be read or an inspect fails.
   */
  async lookUpContainers(ids: Iterable<string>): Promise<ContainerResource[]> {
    const wanted = [...new Set(ids)];
    for (const id of wanted) {
      if (!this.objects.containers.has(id) && !this.gone.has(id) && this.readable) this.inspect('container', id);
    }
    await this.settled();
    const why = this.unreadableReason();
    if (why !== undefined) throw new Error(why);
    const found: ContainerResource[] = [];
    for (const id of wanted) {
      const record = this.objects.containers.get(id);
      if (record) found.push(record.resource);
    }
    return found;
  }

  /**
   * The containers whose settings name `network`, for a removal's last check: those the view holds
   * attached, each inspected again (a container removed a moment ago, its event still on the way, is
   * gone). A container created within the event stream's delay is missed, as one created just after
   * a listing would be. Throws when the view cannot be read or an inspect fails.
   */
  async attachedTo(network: { readonly id: string; readonly name: string }): Promise<ContainerRecord[]> {
    await this.settled();
    const why = this.unreadableReason();
    if (why !== undefined) throw new Error(why);
    const held = attachedTo(network, this.objects.containers.values());
    const fresh = await Promise.all(held.map((c) => this.options.api.inspectContainer(c.resource.id)));
    return attachedTo(
      network,
      fresh.filter((c) => c !== undefined),
    );
  }

  // ---- Subscribing and listing

  private async connect(why: string): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    const attempt = ++this.attempts;
    const startedAt = this.options.now();
    const buffered: DockerEvent[] = [];
    let installed = false;
    let endedEarly: string | undefined;
    let subscription: EventSubscription | undefined;
    try {
      subscription = await this.options.api.subscribe(
        startedAt / 1000 - SINCE_MARGIN_S,
        (event) => {
          if (!installed) buffered.push(event);
          else if (this.serving?.attempt === attempt) this.apply(event);
        },
        (reason) => {
          if (!installed) endedEarly = reason;
          else this.streamEnded(attempt, reason);
        },
      );
      const { api } = this.options;
      const [containers, networks, volumes] = await Promise.all([
        api.listContainers(),
        api.listNetworks(),
        api.listVolumes(),
      ]);
      if (endedEarly !== undefined) throw new Error(`the event stream ended while listing: ${endedEarly}`);
      if (this.stopped) {
        subscription.close();
        return;
      }
      const previous = this.serving;
      this.serving = { attempt, subscription };
      previous?.subscription.close();
      this.replaceObjects({
        containers: new Map(containers.map((c) => [c.resource.id, c])),
        networks: new Map(networks.map((n) => [n.id, n])),
        volumes: new Map(volumes.map((v) => [v.id, v])),
      });
      installed = true;
      for (const event of buffered) this.apply(event);
      const wasReadable = this.readable;
      this.phase = { state: 'following', listedAt: this.options.now() };
      this.failures = 0;
      this.schedule(this.options.relistIntervalMs, 'safety relist');
      const fields = {
        why,
        containers: containers.length,
        networks: networks.length,
        volumes: volumes.length,
        eventsDuringListing: buffered.length,
        listMs: this.options.now() - startedAt,
      };
      if (wasReadable) this.logger.debug('Docker listed again; following its events', fields);
      else {
        this.logger.info('Docker listed; following its events', fields);
        this.options.onReadableChange?.(true);
      }
    } catch (err) {
      subscription?.close();
      if (this.stopped) return;
      const delayMs = backoffDelay(this.failures++, this.options.retry ?? DEFAULT_RETRY, this.options.random);
      if (this.phase.state === 'starting') this.phase = { ...this.phase, error: (err as Error).message };
      this.logger.warn('cannot list and follow Docker; trying again', {
        why,
        error: (err as Error).message,
        attempts: this.failures,
        retryInMs: delayMs,
        readable: this.readable,
      });
      // A failed safety relist leaves a whole stream serving: the view stays readable meanwhile.
      this.schedule(delayMs, why);
    } finally {
      this.connecting = false;
    }
  }

  private schedule(delayMs: number, why: string): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect(why);
    }, delayMs);
    this.timer.unref();
  }

  private streamEnded(attempt: number, reason: string): void {
    if (this.stopped || this.serving?.attempt !== attempt) return;
    this.serving = undefined;
    this.breakView(`the event stream ended: ${reason}`);
  }

  /** From now until listed again, the view cannot be read; listing again starts at once. */
  private breakView(reason: string): void {
    this.serving?.subscription.close();
    this.serving = undefined;
    const wasReadable = this.readable;
    this.phase = { state: 'broken', at: this.options.now(), reason };
    // What is held, and what is being inspected, may be of the past: nothing of it is applied.
    this.replaceObjects({ containers: new Map(), networks: new Map(), volumes: new Map() });
    this.logger.warn('lost track of Docker: sweeps fail closed until it is listed again', { reason });
    if (wasReadable) this.options.onReadableChange?.(false, this.unreadableReason());
    this.schedule(0, 'the event stream broke');
  }

  private replaceObjects(objects: Objects): void {
    this.objects = objects;
    this.epoch++;
    this.inspections.clear();
  }

  // ---- Applying events

  private apply(event: DockerEvent): void {
    for (const effect of effectsOf(event, (type, id) => this.holds(type, id))) {
      if (effect.op === 'drop') this.drop(effect.type, effect.id);
      else this.inspect(effect.type, effect.id);
    }
  }

  private holds(type: DockerObjectType, id: string): boolean {
    const map =
      type === 'container'
        ? this.objects.containers
        : type === 'network'
          ? this.objects.networks
          : this.objects.volumes;
    return map.has(id);
  }

  private drop(type: DockerObjectType, id: string): void {
    if (type === 'container') {
      this.objects.containers.delete(id);
      this.rememberGone(id);
    } else if (type === 'network') this.objects.networks.delete(id);
    else this.objects.volumes.delete(id);
    const inspection = this.inspections.get(`${type}:${id}`);
    if (inspection) inspection.stale = true;
  }

  /** Reads one object again; events for it meanwhile make one more read, not one each. */
  private inspect(type: DockerObjectType, id: string): void {
    const key = `${type}:${id}`;
    const running = this.inspections.get(key);
    if (running) {
      running.again = true;
      return;
    }
    const epoch = this.epoch;
    const inspection: Inspection = { again: true, stale: false, started: 0, applied: 0, waiting: [] };
    this.inspections.set(key, inspection);
    void (async () => {
      try {
        while (inspection.again && epoch === this.epoch && !this.stopped) {
          inspection.again = false;
          inspection.stale = false;
          inspection.started++;
          const found = await this.inspectNow(type, id);
          if (epoch !== this.epoch) return;
          if (!inspection.stale) this.put(type, id, found);
          inspection.applied = inspection.started;
          release(inspection, (w) => w.round <= inspection.applied);
        }
      } catch (err) {
        // An event the view could not apply: it no longer knows what the engine holds.
        if (epoch === this.epoch && !this.stopped)
          this.breakView(`could not inspect ${type} ${id}: ${(err as Error).message}`);
      } finally {
        if (this.inspections.get(key) === inspection) this.inspections.delete(key);
        release(inspection, () => true);
      }
    })();
  }

  private inspectNow(
    type: DockerObjectType,
    id: string,
  ): Promise<ContainerRecord | NetworkRecord | VolumeResource | undefined> {
    const { api } = this.options;
    if (type === 'container') return api.inspectContainer(id);
    if (type === 'network') return api.inspectNetwork(id);
    return api.inspectVolume(id);
  }

  private put(type: DockerObjectType, id: string, found: ContainerRecord | NetworkRecord | VolumeResource | undefined) {
    if (found === undefined) return this.drop(type, id);
    if (type === 'container') {
      const record = found as ContainerRecord;
      this.objects.containers.set(record.resource.id, record);
    } else if (type === 'network') {
      const network = found as NetworkRecord;
      this.objects.networks.set(network.id, network);
    } else {
      const volume = found as VolumeResource;
      this.objects.volumes.set(volume.id, volume);
    }
  }

  private rememberGone(id: string): void {
    if (!FULL_CONTAINER_ID.test(id)) return;
    this.gone.add(id);
    if (this.gone.size > GONE_REMEMBERED) {
      const oldest = this.gone.values().next().value;
      if (oldest !== undefined) this.gone.delete(oldest);
    }
  }

  /**
   * Resolves once every event received so far is in the view: for each object being inspected, the
   * inspect that covers its last event so far has been applied. Events that come meanwhile are later
   * than the read and are not waited for, so an object whose events never stop cannot hold a read
   * up. Past the deadline the read fails (and its sweep fails closed) rather than wait on.
   */
  private async settled(): Promise<void> {
    const rounds: Promise<void>[] = [];
    for (const inspection of this.inspections.values()) {
      const round = inspection.again ? inspection.started + 1 : inspection.started;
      if (inspection.applied >= round) continue;
      rounds.push(new Promise((resolve) => inspection.waiting.push({ round, resolve })));
    }
    if (rounds.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Docker did not answer the view's inspects within ${SETTLE_TIMEOUT_MS / 1000}s`)),
        SETTLE_TIMEOUT_MS,
      );
      timer.unref();
    });
    try {
      await Promise.race([Promise.all(rounds), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A policy's backends with containers, networks and volumes read from the view (one read per
 * snapshot, shared by the three) and removed through the listing backends as ever: a removal always
 * checks the engine afresh. Leases are listed from their store as before.
 */
export function followedBackends(listed: Backends, view: DockerView): Backends {
  let read: Promise<DockerResources> | undefined;
  const objects = () => (read ??= view.read());
  const followed = <R extends RuntimeResource>(
    backend: RuntimeBackend | undefined,
    pick: (resources: DockerResources) => R[],
  ): RuntimeBackend | undefined =>
    backend && {
      kind: backend.kind,
      list: async () => pick(await objects()),
      remove: (resource) => backend.remove(resource),
    };
  const container = followed(listed.container, (r) => r.containers);
  const network = followed(listed.network, (r) => r.networks);
  const volume = followed(listed.volume, (r) => r.volumes);
  return {
    ...listed,
    ...(container ? { container: { ...container, lookUp: (ids) => view.lookUpContainers(ids) } } : {}),
    ...(network ? { network } : {}),
    ...(volume ? { volume } : {}),
  };
}
