// Docker volumes: only labelled ones are considered at all; anonymous and unlabelled volumes are
// never listed nor removed (anonymous ones go with their container). The labels are read again
// from Docker before removing, so a caller cannot talk the backend into removing an unlabelled one.
import type Docker from 'dockerode';
import type { VolumeResource } from '../core/model.js';
import type { RuntimeBackend } from './backend.js';
import { describeDockerError, dockerDeadline, httpStatus } from './docker-client.js';
import { isLabelled, volumeFromDocker } from './docker-objects.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, failed, reaped, skipped } from './removal.js';

const UNLABELLED = 'unlabelled volumes are never removed';

export class DockerVolumes implements RuntimeBackend<VolumeResource> {
  readonly kind = 'volume' as const;

  constructor(private readonly docker: Docker) {}

  async list(): Promise<VolumeResource[]> {
    let volumes: Docker.VolumeInspectInfo[];
    try {
      volumes = (await this.docker.listVolumes({ abortSignal: dockerDeadline() })).Volumes ?? [];
    } catch (err) {
      throw new Error(describeDockerError(err, this.docker));
    }
    return volumes.map(volumeFromDocker).filter((v) => isLabelled(v.labels));
  }

  async remove(resource: VolumeResource): Promise<RemovalResult> {
    if (!isLabelled(resource.labels)) return skipped(UNLABELLED);
    const volume = this.docker.getVolume(resource.id);
    try {
      const now = (await volume.inspect({ abortSignal: dockerDeadline() })) as Docker.VolumeInspectInfo;
      if (!isLabelled(now.Labels)) return skipped(UNLABELLED);
      await volume.remove({ abortSignal: dockerDeadline() });
      return reaped();
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) return alreadyGone();
      // Docker refuses to remove a volume a container (in any state) still uses.
      if (status === 409) return skipped(`in use: ${describeDockerError(err, this.docker)}`);
      return failed(describeDockerError(err, this.docker));
    }
  }
}
