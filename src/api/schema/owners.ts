// Topology and Sandbox: the owner kinds reaper ships (design §2), and the status reaper writes on
// any owner it tracks.
import { REPORT_KINDS } from '../../core/report-types.js';
import type { Schema } from '../schema-helpers.js';
import {
  DNS_LABEL_PATTERN,
  RULES_KEY,
  arr,
  cel,
  int,
  isRecord,
  isString,
  mapList,
  obj,
  setList,
  str,
} from '../schema-helpers.js';
import { conditionsSchema } from './conditions.js';
import { reapReportSchema } from './report.js';

/** Nodes listed in an owner's status.foundOnNodes; the rest are counted in foundOnNodesOmitted. */
export const MAX_FOUND_ON_NODES = 10;

const dnsLabel = { maxLength: 63, pattern: DNS_LABEL_PATTERN };
const image = str('Container image.', { maxLength: 512, minLength: 1 });

/** What Go's netip.ParsePrefix (behind CEL's isCIDR) accepts for IPv4: no leading zeros. */
function isIPv4Cidr(text: string): boolean {
  const match = /^((?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3})\/(0|[1-9][0-9]?)$/.exec(text);
  if (!match) return false;
  return match[1]!.split('.').every((octet) => Number(octet) <= 255) && Number(match[2]) <= 32;
}

const names = (list: unknown): string[] =>
  Array.isArray(list)
    ? list
        .filter(isRecord)
        .map((entry) => entry.name)
        .filter(isString)
    : [];

const nodeNetworksDeclared = cel(
  '!has(self.nodes) || self.nodes.all(n, !has(n.networks) || n.networks.all(x, has(self.networks) && self.networks.exists(m, m.name == x)))',
  'every network a node is attached to must be one of spec.networks',
  (self) => {
    if (!isRecord(self) || !Array.isArray(self.nodes)) return true;
    const declared = new Set(names(self.networks));
    return self.nodes.every(
      (node) =>
        !isRecord(node) || !Array.isArray(node.networks) || node.networks.every((n) => declared.has(n as string)),
    );
  },
  '.nodes',
);

export const topologySpecSchema: Schema = obj(
  'A lab of nodes (containers) on networks.',
  {
    networks: arr(
      'Networks of the lab.',
      obj(
        'One network.',
        {
          name: str('Network name, unique in the topology.', dnsLabel),
          subnet: str('IPv4 subnet in CIDR form, e.g. 10.10.0.0/24; Docker picks one when absent.', {
            maxLength: 18,
            pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$',
            [RULES_KEY]: [
              cel('isCIDR(self) && cidr(self).ip().family() == 4', 'must be an IPv4 CIDR such as 10.10.0.0/24', (s) =>
                isString(s) ? isIPv4Cidr(s) : true,
              ),
            ],
          }),
        },
        { required: ['name'] },
      ),
      { maxItems: 64, ...mapList('name') },
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
            ...setList,
          }),
        },
        { required: ['name', 'image'] },
      ),
      { maxItems: 256, ...mapList('name') },
    ),
  },
  { [RULES_KEY]: [nodeNetworksDeclared] },
);

export const sandboxSpecSchema: Schema = obj(
  'One isolated container with an IP lease.',
  {
    image,
    command: arr('Command of the container.', str('One argument.', { maxLength: 4096 }), { maxItems: 64 }),
    network: str('CNI network the sandbox gets its IP lease in.', dnsLabel),
    ports: arr(
      'Ports the sandbox exposes; one entry per port and protocol.',
      obj(
        'One port.',
        {
          containerPort: int('Port inside the container.', { minimum: 1, maximum: 65535 }),
          protocol: str('TCP or UDP.', { enum: ['TCP', 'UDP'], default: 'TCP' }),
        },
        { required: ['containerPort'] },
      ),
      { maxItems: 64, ...mapList('containerPort', 'protocol') },
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
  foundOnNodes: arr(
    `Where the found resources are: one entry per node that holds some, the most first; at most ${MAX_FOUND_ON_NODES}.`,
    obj(
      'What this owner holds on one node.',
      {
        node: str('The node.', { maxLength: 253 }),
        containers: int('Containers.', { minimum: 0 }),
        networks: int('Networks.', { minimum: 0 }),
        volumes: int('Volumes.', { minimum: 0 }),
        ipLeases: int('IP leases.', { minimum: 0 }),
      },
      { required: ['node', ...REPORT_KINDS] },
    ),
    { maxItems: MAX_FOUND_ON_NODES },
  ),
  foundOnNodesOmitted: int('Nodes holding some that did not fit in foundOnNodes.', { minimum: 0 }),
  lastReap: reapReportSchema("The report of the teardown reaper ran through the owner's finalizer."),
});
