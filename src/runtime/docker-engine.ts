// The Docker Engine (and the CNI lease store on the same host) as a RuntimeEngine.
import type Docker from 'dockerode';
import type { Policy } from '../core/policy.js';
import type { Backends } from './backend.js';
import { backendsForPolicy } from './backends-for-policy.js';
import { assertDockerReachable } from './docker-client.js';
import type { RuntimeEngine } from './engine.js';

export class DockerEngine implements RuntimeEngine {
  constructor(readonly docker: Docker) {}

  backendsFor(policy: Policy): Backends {
    return backendsForPolicy(policy, this.docker);
  }

  ping(): Promise<void> {
    return assertDockerReachable(this.docker);
  }
}
