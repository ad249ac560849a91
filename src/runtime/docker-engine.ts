// The Docker Engine (and the CNI lease store on the same host) as a RuntimeEngine. Given a view that
// follows the engine's events (docker-view.ts), snapshots read containers, networks and volumes from
// it instead of listing the engine; without one (the CLI), every snapshot lists.
import type Docker from 'dockerode';
import type { Policy } from '../core/policy.js';
import type { Backends } from './backend.js';
import { backendsForPolicy } from './backends-for-policy.js';
import { assertDockerReachable } from './docker-client.js';
import type { DockerView } from './docker-view.js';
import { followedBackends } from './docker-view.js';
import type { RuntimeEngine } from './engine.js';

export class DockerEngine implements RuntimeEngine {
  constructor(
    readonly docker: Docker,
    readonly view?: DockerView,
  ) {}

  backendsFor(policy: Policy): Backends {
    const view = this.view;
    if (!view) return backendsForPolicy(policy, this.docker);
    return followedBackends(
      backendsForPolicy(policy, this.docker, (network) => view.attachedTo(network)),
      view,
    );
  }

  ping(): Promise<void> {
    return assertDockerReachable(this.docker);
  }
}
