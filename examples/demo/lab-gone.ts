// The owner both demos delete: a Topology of two nodes on one network, made and then removed from
// the API (or, without a cluster, left out of the owners directory), so that reaper reaps it.
import type { OwnerObject } from '../deployer/owners.js';

export function labGone(image: string): OwnerObject {
  return {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'Topology',
    metadata: { name: 'lab-gone' },
    spec: {
      networks: [{ name: 'core' }],
      nodes: [
        { name: 'r1', image, networks: ['core'] },
        { name: 'r2', image, networks: ['core'] },
      ],
    },
  };
}
