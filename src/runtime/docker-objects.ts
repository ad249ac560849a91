// The pure half of reading Docker: what a listing or an inspect of a container, network or volume
// becomes, how networks learn which containers name them, what one event of Docker's stream means
// for a view that follows it (docker-view.ts), and whether such a view can be read at all. The
// listing backends (docker-containers|networks|volumes.ts) and the followed view share these
// shapes, so a snapshot says the same whichever way it was read.
import type Docker from 'dockerode';
import type { ContainerResource, NetworkResource, VolumeResource } from '../core/model.js';

export type DockerObjectType = 'container' | 'network' | 'volume';
export const DOCKER_OBJECT_TYPES: readonly DockerObjectType[] = ['container', 'network', 'volume'];

/** A container as a snapshot holds it, and the networks its own settings name. */
export interface ContainerRecord {
  readonly resource: ContainerResource;
  /**
   * Every network the container's settings name, in any state: by id once Docker has given it one
   * (a started container), else by name only (a container that never started).
   */
  readonly attachments: readonly { readonly name: string; readonly networkId?: string }[];
}

/** A network without its attachments: those are derived from the containers (attachedTo). */
export type NetworkRecord = Omit<NetworkResource, 'containerIds'>;

export function containerFromListing(c: Docker.ContainerInfo): ContainerRecord {
  return {
    resource: {
      kind: 'container',
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      labels: c.Labels ?? {},
      // Seconds since the epoch; 0 (unknown) never lets a resource skip its minimum age.
      createdAt: typeof c.Created === 'number' ? c.Created * 1000 : 0,
      state: c.State ?? 'unknown',
      networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    },
    attachments: attachmentsOf(c.NetworkSettings?.Networks),
  };
}

export function containerFromInspect(c: Docker.ContainerInspectInfo): ContainerRecord {
  const created = Date.parse(c.Created ?? '');
  return {
    resource: {
      kind: 'container',
      id: c.Id,
      name: (c.Name || c.Id).replace(/^\//, ''),
      labels: c.Config?.Labels ?? {},
      // Whole seconds, as the listing gives them: a container reads the same either way.
      createdAt: Number.isFinite(created) ? Math.floor(created / 1000) * 1000 : 0,
      state: c.State?.Status ?? 'unknown',
      networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    },
    attachments: attachmentsOf(c.NetworkSettings?.Networks),
  };
}

function attachmentsOf(networks: Record<string, { NetworkID?: string }> | undefined): ContainerRecord['attachments'] {
  return Object.entries(networks ?? {}).map(([name, settings]) =>
    settings?.NetworkID ? { name, networkId: settings.NetworkID } : { name },
  );
}

/** A network listing's or inspect's entry (they have one shape). */
export function networkFromDocker(n: Docker.NetworkInspectInfo): NetworkRecord {
  return {
    kind: 'network',
    id: n.Id,
    name: n.Name,
    labels: n.Labels ?? {},
    createdAt: Date.parse(n.Created ?? '') || 0,
    driver: n.Driver ?? '',
  };
}

/** A volume listing's or inspect's entry (they have one shape). */
export function volumeFromDocker(v: Docker.VolumeInspectInfo): VolumeResource {
  return {
    kind: 'volume',
    id: v.Name,
    name: v.Name,
    labels: v.Labels ?? {},
    createdAt: Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '') || 0,
    driver: v.Driver ?? '',
  };
}

/**
 * Only labelled volumes are considered at all: anonymous and unlabelled ones are never listed in a
 * snapshot nor removed (anonymous ones go with their container).
 */
export function isLabelled(labels: Record<string, string> | null | undefined): boolean {
  return labels !== null && labels !== undefined && Object.keys(labels).length > 0;
}

/** The containers whose settings name this network: by its id where they have one, else its name. */
export function attachedTo(
  network: { readonly id: string; readonly name: string },
  containers: Iterable<ContainerRecord>,
): ContainerRecord[] {
  const attached: ContainerRecord[] = [];
  for (const c of containers) {
    if (c.attachments.some((a) => (a.networkId ? a.networkId === network.id : a.name === network.name)))
      attached.push(c);
  }
  return attached;
}

/** Networks with the ids of the containers attached to them, in one pass over the containers. */
export function withAttachments(
  networks: Iterable<NetworkRecord>,
  containers: Iterable<ContainerRecord>,
): NetworkResource[] {
  const byId = new Map<string, string[]>();
  const byName = new Map<string, string[]>();
  const add = (index: Map<string, string[]>, key: string, id: string) => {
    const ids = index.get(key);
    if (ids) ids.push(id);
    else index.set(key, [id]);
  };
  for (const c of containers) {
    for (const a of c.attachments) {
      if (a.networkId) add(byId, a.networkId, c.resource.id);
      else add(byName, a.name, c.resource.id);
    }
  }
  return [...networks].map((n) => ({
    ...n,
    containerIds: [...new Set([...(byId.get(n.id) ?? []), ...(byName.get(n.name) ?? [])])],
  }));
}

/** What a view holds: containers and networks by id, volumes by name (labelled or not). */
export interface DockerObjects {
  readonly containers: ReadonlyMap<string, ContainerRecord>;
  readonly networks: ReadonlyMap<string, NetworkRecord>;
  readonly volumes: ReadonlyMap<string, VolumeResource>;
}

export interface DockerResources {
  readonly containers: ContainerResource[];
  readonly networks: NetworkResource[];
  readonly volumes: VolumeResource[];
}

/** The resources a snapshot takes from what the view holds. */
export function resourcesOf(objects: DockerObjects): DockerResources {
  return {
    containers: [...objects.containers.values()].map((c) => c.resource),
    networks: withAttachments(objects.networks.values(), objects.containers.values()),
    volumes: [...objects.volumes.values()].filter((v) => isLabelled(v.labels)),
  };
}

// ---- Events

/** One event of Docker's stream, of a kind the view follows. */
export interface DockerEvent {
  readonly type: DockerObjectType;
  readonly action: string;
  /** The actor: a container's or network's id, a volume's name. */
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * One line of the stream: the event, or undefined when it is of a type the view does not follow or
 * names no object (a prune, which Docker follows with a destroy per object). Throws on a line that
 * is not an event at all: the view cannot tell what it missed.
 */
export function parseDockerEvent(line: string): DockerEvent | undefined {
  const raw = JSON.parse(line) as {
    Type?: unknown;
    Action?: unknown;
    Actor?: { ID?: unknown; Attributes?: Record<string, string> };
  };
  if (typeof raw !== 'object' || raw === null || typeof raw.Action !== 'string')
    throw new Error(`not a Docker event: ${line.slice(0, 200)}`);
  const type = raw.Type;
  const id = raw.Actor?.ID;
  if (!DOCKER_OBJECT_TYPES.includes(type as DockerObjectType) || typeof id !== 'string' || id === '') return undefined;
  return { type: type as DockerObjectType, action: raw.Action, id, attributes: raw.Actor?.Attributes ?? {} };
}

/** What the view does about one object: read it again from the engine, or let it go. */
export interface Effect {
  readonly op: 'inspect' | 'drop';
  readonly type: DockerObjectType;
  readonly id: string;
}

/**
 * Container actions after which a snapshot may read differently: its state, its name, its network
 * settings. The rest (exec_*, attach, resize, top, health_status, kill before its die, …) change
 * nothing a snapshot holds.
 */
const CONTAINER_CHANGES = new Set([
  'create',
  'start',
  'restart',
  'die',
  'stop',
  'pause',
  'unpause',
  'rename',
  'update',
  'oom',
]);
const NETWORK_CHANGES = new Set(['create', 'update']);
const VOLUME_CHANGES = new Set(['create']);
const GONE = new Set(['destroy', 'remove', 'delete']);

/**
 * What one event means for the view. An object's own record is never taken from the event (its
 * attributes are partial): it is inspected again, and an event about an object the view does not
 * hold, whatever its action, is an object it missed, so it is inspected too.
 *
 * Network attachments are read from the containers' settings (as the listing backends read them),
 * so a connect or disconnect inspects the container named in the event. Docker 20.10 sends no event
 * when a container that never started is connected to a network; its attachment is corrected by the
 * next listing, and a network's removal checks attachment afresh in any case (docker-networks.ts).
 */
export function effectsOf(event: DockerEvent, holds: (type: DockerObjectType, id: string) => boolean): Effect[] {
  const { type, id, action } = event;
  if (GONE.has(action)) return [{ op: 'drop', type, id }];
  const effects: Effect[] = [];
  const changes = type === 'container' ? CONTAINER_CHANGES : type === 'network' ? NETWORK_CHANGES : VOLUME_CHANGES;
  if (changes.has(action) || !holds(type, id)) effects.push({ op: 'inspect', type, id });
  const container = event.attributes.container;
  if (type === 'network' && (action === 'connect' || action === 'disconnect') && container)
    effects.push({ op: 'inspect', type: 'container', id: container });
  return effects;
}

// ---- Whether the view can be read

/** Where a followed view stands. */
export type ViewPhase =
  /** Not listed yet (starting, or the engine never answered: `error` says what the last attempt met). */
  | { readonly state: 'starting'; readonly since: number; readonly error?: string }
  /** Listed, and following the stream since. */
  | { readonly state: 'following'; readonly listedAt: number }
  /** The stream broke (or an event could not be applied) and the engine is not listed again yet. */
  | { readonly state: 'broken'; readonly at: number; readonly reason: string };

/**
 * Why a snapshot cannot be taken from the view now, or undefined when it can. A view that is not
 * following may have missed any change: a sweep that reads it fails closed and says this.
 */
export function unreadableReason(phase: ViewPhase): string | undefined {
  switch (phase.state) {
    case 'following':
      return undefined;
    case 'starting': {
      const since = `the Docker engine has not been listed yet (waiting since ${new Date(phase.since).toISOString()})`;
      return phase.error === undefined ? since : `${since}: ${phase.error}`;
    }
    case 'broken':
      return `Docker's event stream broke at ${new Date(phase.at).toISOString()} (${phase.reason}) and the engine is not listed again yet`;
  }
}
