// Docker's event stream, for "when was it gone": each kill (the start of a stop) and destroy of a
// container or network is seen the moment the engine reports it, with no polling load on the
// engine under test.
import type Docker from 'dockerode';

type Action = 'kill' | 'destroy';

export class DockerEvents {
  private readonly waiting = new Map<string, () => void>();
  /** performance.now() of the first event of each action, by object id. */
  private readonly seen: Record<Action, Map<string, number>> = { kill: new Map(), destroy: new Map() };

  private constructor(private readonly stream: NodeJS.ReadableStream & { destroy?: () => void }) {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string } };
        const id = event.Actor?.ID;
        const action = event.Action;
        if (!id || (action !== 'kill' && action !== 'destroy')) continue;
        if (!this.seen[action].has(id)) this.seen[action].set(id, performance.now());
        if (action === 'destroy') this.waiting.get(id)?.();
      }
    });
  }

  static async open(docker: Docker): Promise<DockerEvents> {
    const stream = await docker.getEvents({
      filters: { type: ['container', 'network'], event: ['kill', 'destroy'] },
    });
    return new DockerEvents(stream);
  }

  /** Resolves when the container or network with this id has been destroyed (now or before). */
  gone(id: string): Promise<void> {
    if (this.seen.destroy.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** When the first kill (a stop's SIGTERM) of this container was seen, if it was. */
  killedAt(id: string): number | undefined {
    return this.seen.kill.get(id);
  }

  close(): void {
    this.stream.destroy?.();
  }
}
