// The engine calls a followed view makes (docker-view.ts), and nothing else: three listings, three
// inspects, and the event stream. Each call is counted, so that what an idle agent asks of Docker
// can be read off the adapter itself (the tests assert zero listings in a steady idle period).
import type Docker from 'dockerode';
import type { VolumeResource } from '../core/model.js';
import { DOCKER_CALL_TIMEOUT_MS, describeDockerError, dockerDeadline, httpStatus } from './docker-client.js';
import type { ContainerRecord, DockerEvent, NetworkRecord } from './docker-objects.js';
import {
  containerFromInspect,
  containerFromListing,
  networkFromDocker,
  parseDockerEvent,
  volumeFromDocker,
} from './docker-objects.js';

export interface EventSubscription {
  /** Ends the stream; its onEnd is not called for a close asked for. */
  close(): void;
}

export interface DockerViewApi {
  listContainers(): Promise<ContainerRecord[]>;
  listNetworks(): Promise<NetworkRecord[]>;
  /** Every volume, labelled or not. */
  listVolumes(): Promise<VolumeResource[]>;
  /** The object now; undefined when the engine has none by that id (404). */
  inspectContainer(id: string): Promise<ContainerRecord | undefined>;
  inspectNetwork(id: string): Promise<NetworkRecord | undefined>;
  inspectVolume(name: string): Promise<VolumeResource | undefined>;
  /**
   * Follows container, network and volume events from `sinceSeconds` (the engine's clock, epoch
   * seconds) on. Resolves once the engine has answered; `onEnd` is called once when the stream ends
   * or fails (the engine stopped, the socket broke, a line that is not an event).
   */
  subscribe(
    sinceSeconds: number,
    onEvent: (event: DockerEvent) => void,
    onEnd: (reason: string) => void,
  ): Promise<EventSubscription>;
}

export type DockerCall =
  | 'listContainers'
  | 'listNetworks'
  | 'listVolumes'
  | 'inspectContainer'
  | 'inspectNetwork'
  | 'inspectVolume'
  | 'subscribe';

const LISTINGS: readonly DockerCall[] = ['listContainers', 'listNetworks', 'listVolumes'];

export class DockerodeViewApi implements DockerViewApi {
  /** Calls made so far, by name. */
  readonly calls: Record<DockerCall, number> = {
    listContainers: 0,
    listNetworks: 0,
    listVolumes: 0,
    inspectContainer: 0,
    inspectNetwork: 0,
    inspectVolume: 0,
    subscribe: 0,
  };

  constructor(
    private readonly docker: Docker,
    /** Told of every call as it is made (the agent counts them in its metrics). */
    private readonly onCall?: (call: DockerCall) => void,
  ) {}

  /** Listings made so far, of every kind. */
  get listings(): number {
    return LISTINGS.reduce((n, call) => n + this.calls[call], 0);
  }

  async listContainers(): Promise<ContainerRecord[]> {
    this.count('listContainers');
    const containers = await this.call(() => this.docker.listContainers({ all: true, abortSignal: dockerDeadline() }));
    return containers.map(containerFromListing);
  }

  async listNetworks(): Promise<NetworkRecord[]> {
    this.count('listNetworks');
    const networks = await this.call(() => this.docker.listNetworks({ abortSignal: dockerDeadline() }));
    return networks.map(networkFromDocker);
  }

  async listVolumes(): Promise<VolumeResource[]> {
    this.count('listVolumes');
    const listed = await this.call(() => this.docker.listVolumes({ abortSignal: dockerDeadline() }));
    return (listed.Volumes ?? []).map(volumeFromDocker);
  }

  async inspectContainer(id: string): Promise<ContainerRecord | undefined> {
    this.count('inspectContainer');
    const found = await this.found(() => this.docker.getContainer(id).inspect({ abortSignal: dockerDeadline() }));
    return found && containerFromInspect(found);
  }

  async inspectNetwork(id: string): Promise<NetworkRecord | undefined> {
    this.count('inspectNetwork');
    // dockerode's network inspect takes no abort signal: bounded here like every other call.
    const found = await this.found(() =>
      withDeadline(this.docker.getNetwork(id).inspect() as Promise<Docker.NetworkInspectInfo>, DOCKER_CALL_TIMEOUT_MS),
    );
    return found && networkFromDocker(found);
  }

  async inspectVolume(name: string): Promise<VolumeResource | undefined> {
    this.count('inspectVolume');
    const found = await this.found(
      () => this.docker.getVolume(name).inspect({ abortSignal: dockerDeadline() }) as Promise<Docker.VolumeInspectInfo>,
    );
    return found && volumeFromDocker(found);
  }

  async subscribe(
    sinceSeconds: number,
    onEvent: (event: DockerEvent) => void,
    onEnd: (reason: string) => void,
  ): Promise<EventSubscription> {
    this.count('subscribe');
    // The deadline covers the engine's answer only: aborting later would end the stream itself.
    const connecting = new AbortController();
    const deadline = setTimeout(() => connecting.abort(), DOCKER_CALL_TIMEOUT_MS);
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = await this.call(() =>
        this.docker.getEvents({
          since: Math.floor(sinceSeconds),
          filters: { type: ['container', 'network', 'volume'] },
          abortSignal: connecting.signal,
        } as Docker.GetEventsOptions),
      );
    } finally {
      clearTimeout(deadline);
    }
    let closed = false;
    let buffered = '';
    const end = (reason: string) => {
      if (closed) return;
      closed = true;
      stream.destroy?.();
      onEnd(reason);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string | Buffer) => {
      if (closed) return;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        let event: DockerEvent | undefined;
        try {
          event = parseDockerEvent(line);
        } catch (err) {
          return end(`unreadable event: ${(err as Error).message}`);
        }
        if (event) onEvent(event);
        if (closed) return;
      }
    });
    stream.on('error', (err: unknown) => end(describeDockerError(err, this.docker)));
    stream.on('end', () => end('the engine ended the stream'));
    stream.on('close', () => end('the connection closed'));
    return {
      close: () => {
        closed = true;
        stream.destroy?.();
      },
    };
  }

  private count(call: DockerCall): void {
    this.calls[call]++;
    this.onCall?.(call);
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw new Error(describeDockerError(err, this.docker));
    }
  }

  private async found<T>(request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw new Error(describeDockerError(err, this.docker));
    }
  }
}

function withDeadline<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}
