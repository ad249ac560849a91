// Docker volumes: only labelled ones are considered at all; anonymous and unlabelled volumes are
// never listed nor removed (anonymous ones go with their container).
import type Docker from 'dockerode';
import type { VolumeResource } from '../core/model.js';
import type { RuntimeBackend } from './backend.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, describeError, failed, httpStatus, reaped, skipped } from './removal.js';

export class DockerVolumes implements RuntimeBackend<VolumeResource> {
  readonly kind = 'volume' as const;

  constructor(private readonly docker: Docker) {}

  async list(): Promise<VolumeResource[]> {
    const { Volumes } = await this.docker.listVolumes();
    return (Volumes ?? [])
      .filter((v) => hasLabels(v.Labels))
      .map((v) => ({
        kind: 'volume',
        id: v.Name,
        name: v.Name,
        labels: v.Labels ?? {},
        createdAt: Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '') || 0,
        driver: v.Driver ?? '',
      }));
  }

  async remove(resource: VolumeResource): Promise<RemovalResult> {
    if (!hasLabels(resource.labels)) return skipped('unlabelled volumes are never removed');
    try {
      await this.docker.getVolume(resource.id).remove();
      return reaped();
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) return alreadyGone();
      if (status === 409) return skipped(`in use: ${describeError(err)}`);
      return failed(describeError(err));
    }
  }
}

function hasLabels(labels: Record<string, string> | null | undefined): boolean {
  return labels !== null && labels !== undefined && Object.keys(labels).length > 0;
}
