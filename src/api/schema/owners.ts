// Topology and Sandbox: the owner kinds reaper ships (design §2).
import type { Schema } from '../schema-helpers.js';
import { arr, int, obj, str } from '../schema-helpers.js';
import { conditionsSchema } from './conditions.js';
import { reapReportSchema } from './report.js';

const dnsLabel = { maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
const image = str('Container image.', { maxLength: 512, minLength: 1 });

export const topologySpecSchema: Schema = obj('A lab of nodes (containers) on networks.', {
  networks: arr(
    'Networks of the lab.',
    obj(
      'One network.',
      {
        name: str('Network name, unique in the topology.', dnsLabel),
        subnet: str('IPv4 subnet in CIDR form, e.g. 10.10.0.0/24.', {
          maxLength: 43,
          pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$',
        }),
      },
      { required: ['name'] },
    ),
    { maxItems: 64, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
  ),
  nodes: arr(
    'Nodes of the lab.',
    obj(
      'One node: a container.',
      {
        name: str('Node name, unique in the topology.', dnsLabel),
        image,
        networks: arr('Networks the node is attached to.', str('A network name of this topology.', dnsLabel), {
          maxItems: 16,
        }),
      },
      { required: ['name', 'image'] },
    ),
    { maxItems: 256, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
  ),
});

export const sandboxSpecSchema: Schema = obj(
  'One isolated container with an IP lease.',
  {
    image,
    command: arr('Command of the container.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
    network: str('Network of the sandbox.', dnsLabel),
    ports: arr(
      'Ports the sandbox exposes.',
      obj(
        'One port.',
        {
          containerPort: int('Port inside the container.', { minimum: 1, maximum: 65535 }),
          protocol: str('TCP or UDP.', { enum: ['TCP', 'UDP'], default: 'TCP' }),
        },
        { required: ['containerPort'] },
      ),
      { maxItems: 64 },
    ),
  },
  { required: ['image'] },
);

const expectedFound = (what: string) =>
  obj(`${what} attributed to this owner.`, {
    expected: int('How many the spec asks for.', { minimum: 0 }),
    found: int('How many reaper sees in the runtime.', { minimum: 0 }),
  });

export const ownerStatusSchema: Schema = obj('What reaper sees for this owner; written by reaper only.', {
  observedGeneration: int('The metadata.generation the status reflects.', { minimum: 0 }),
  conditions: conditionsSchema,
  resources: obj('Runtime resources attributed to this owner.', {
    containers: expectedFound('Containers'),
    networks: expectedFound('Networks'),
    volumes: expectedFound('Volumes'),
    ipLeases: expectedFound('IP leases'),
  }),
  lastReap: reapReportSchema("The report of the teardown reaper ran through the owner's finalizer."),
});
