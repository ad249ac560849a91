import type { RuntimeResource } from '../../../src/core/model.js';
import { protectionOf } from '../../../src/core/protection.js';
import { container, lease, network, policy, volume } from '../../support/builders.js';

const selfId = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('protectionOf', () => {
  test.each<{ name: string; resource: RuntimeResource; self?: string; reason: RegExp | undefined }>([
    { name: 'an ordinary orphan', resource: container('c1', 'gone'), reason: undefined },
    {
      name: 'keep label',
      resource: container('c1', 'gone', { labels: { 'reaper.dev/keep': 'true' } }),
      reason: /labelled reaper.dev\/keep=true/,
    },
    {
      name: 'keep label on a volume',
      resource: volume('v1', 'gone', { labels: { 'reaper.dev/keep': 'true' } }),
      reason: /keep=true/,
    },
    {
      name: 'keep label other than "true" does not protect',
      resource: container('c1', 'gone', { labels: { 'reaper.dev/keep': 'false' } }),
      reason: undefined,
    },
    { name: 'bridge', resource: network('n1', 'gone', { name: 'bridge' }), reason: /predefined/ },
    { name: 'host', resource: network('n1', 'gone', { name: 'host' }), reason: /predefined/ },
    { name: 'none, whatever its id', resource: network('ffffffff', 'gone', { name: 'none' }), reason: /predefined/ },
    { name: "swarm's ingress", resource: network('n1', 'gone', { name: 'ingress' }), reason: /predefined/ },
    {
      name: 'a network merely named like one',
      resource: network('n1', 'gone', { name: 'bridge2' }),
      reason: undefined,
    },
    { name: 'a volume named bridge is just a volume', resource: volume('bridge', 'gone'), reason: undefined },
    { name: 'self by full id', resource: container(selfId, 'gone'), self: selfId, reason: /own container/ },
    {
      name: 'self by the 12-character HOSTNAME',
      resource: container(selfId, 'gone'),
      self: selfId.slice(0, 12),
      reason: /own container/,
    },
    {
      name: 'self in upper case',
      resource: container(selfId, 'gone'),
      self: selfId.slice(0, 12).toUpperCase(),
      reason: /own container/,
    },
    { name: 'a self id too short to be sure', resource: container(selfId, 'gone'), self: '0123', reason: undefined },
    {
      name: 'another container',
      resource: container('ffff' + selfId.slice(4), 'gone'),
      self: selfId,
      reason: undefined,
    },
    { name: 'an IPv4 lease', resource: lease('10.0.0.2', 'c1'), reason: undefined },
    { name: 'an IPv6 lease', resource: lease('fd00::2', 'c1'), reason: undefined },
    { name: "host-local's lock file", resource: lease('lock', 'c1'), reason: /bookkeeping/ },
    { name: "host-local's last reserved ip", resource: lease('last_reserved_ip.0', 'c1'), reason: /bookkeeping/ },
  ])('$name', ({ resource, self, reason }) => {
    const result = protectionOf(resource, { policy: policy(), ...(self ? { selfContainerId: self } : {}) });
    if (reason === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(reason);
  });

  test.each(['containers', 'networks', 'volumes', 'ipLeases'] as const)('disabled %s are protected', (kind) => {
    const base = policy();
    const p = policy({ resources: { ...base.resources, [kind]: { ...base.resources[kind], enabled: false } } });
    const sample = {
      containers: container('c1', 'A'),
      networks: network('n1', 'A'),
      volumes: volume('v1', 'A'),
      ipLeases: lease('10.0.0.2', 'c1'),
    }[kind];
    expect(protectionOf(sample, { policy: p })).toMatch(/not managed by this policy/);
    const others = [container('c1', 'A'), network('n1', 'A'), volume('v1', 'A'), lease('10.0.0.2', 'c1')].filter(
      (r) => r !== sample && r.kind !== sample.kind,
    );
    for (const other of others) expect(protectionOf(other, { policy: p })).toBeUndefined();
  });
});
