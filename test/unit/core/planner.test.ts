import { graceStateFromRecord, graceStateToRecord, NO_GRACE } from '../../../src/core/grace.js';
import type { Decision, RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import type { Policy, Rival } from '../../../src/core/policy.js';
import { planReap } from '../../../src/core/planner.js';
import {
  MINUTE,
  NOW,
  container,
  lease,
  nameRule,
  network,
  owners,
  ownedBy,
  policy,
  snapshot,
  volume,
} from '../../support/builders.js';

interface Case {
  name: string;
  resources: RuntimeResource[];
  live?: string[];
  policy?: Policy;
  /** Grace state as `<kind>:<id>` keys. */
  grace?: Record<string, number>;
  self?: string;
  /** The runtime could not be listed completely / the owners are not synced. */
  incomplete?: boolean;
  unsynced?: boolean;
  expect: Record<string, Decision>;
  /** Matched against the reason of the first resource in `expect`. */
  reason?: RegExp;
}

const noGrace = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } });
/** A guard that judges from one owner on, so small hosts show how it counts. */
const guarded = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { minOwnersToBlock: 1 } });
const goneOwners = (n: number) => Array.from({ length: n }, (_, i) => container(`g${i}`, `gone${i}`));
/** The owner labels of a Sandbox, a kind the fixture policy (Topology.reaper.dev) does not see. */
const sandboxOf = (owner: string) => ({ 'reaper.dev/owner-uid': owner, 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' });
/** The fixture policy, but for Topologies in namespace labs only. */
const inLabs = policy({
  owners: [{ ...policy().owners[0]!, namespaces: ['labs'] }],
  timing: { minAgeMs: 0, gracePeriodMs: 0 },
  limits: { maxOrphanPercent: 100 },
});
/** Rivals on the same label: Topologies keyed by another field (reads them differently), and Sandboxes. */
const topologiesByName: Rival = {
  name: 'by-name',
  owners: [{ ...policy().owners[0]!, key: { type: 'field', path: ['spec', 'name'] } }],
  match: policy().match,
};
const sandboxes: Rival = {
  name: 'sandboxes',
  owners: [{ ...policy().owners[0]!, kind: 'Sandbox' }],
  match: policy().match,
};
// Enough live, attributable resources that one orphan stays under maxOrphanPercent.
const liveCrowd = [container('l1', 'A'), container('l2', 'A'), container('l3', 'A')];

const cases: Case[] = [
  { name: 'unlabelled container is foreign', resources: [container('x')], expect: { 'container:x': 'foreign' } },
  {
    name: 'owner live',
    resources: [container('c1', 'A')],
    live: ['A'],
    expect: { 'container:c1': 'ownerLive' },
    reason: /owner A is live/,
  },
  {
    name: 'orphan older than minAge, past grace: selected',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 2 * MINUTE },
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'first sight of an orphan starts its grace period',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    expect: { 'container:c1': 'inGrace' },
    reason: /orphaned for 0ms of gracePeriod 1m0s/,
  },
  {
    name: 'grace one millisecond short',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - MINUTE + 1 },
    expect: { 'container:c1': 'inGrace' },
  },
  {
    name: 'grace exactly elapsed',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - MINUTE },
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'younger than minAge',
    resources: [container('c1', 'gone', { createdAt: NOW - 5 * MINUTE + 1 }), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 10 * MINUTE },
    expect: { 'container:c1': 'tooYoung' },
  },
  {
    name: 'exactly minAge old',
    resources: [container('c1', 'gone', { createdAt: NOW - 5 * MINUTE }), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 10 * MINUTE },
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'keep label protects',
    resources: [container('c1', 'gone', { labels: { ...ownedBy('gone'), 'reaper.dev/keep': 'true' } })],
    policy: noGrace,
    expect: { 'container:c1': 'protected' },
  },
  {
    name: "Docker's predefined networks are protected even when labelled",
    resources: [network('n1', 'gone', { name: 'bridge' }), network('n2', 'gone', { name: 'host' })],
    policy: noGrace,
    expect: { 'network:n1': 'protected', 'network:n2': 'protected' },
  },
  {
    name: "reaper's own container is protected by id prefix",
    resources: [container('0123456789abcdef', 'gone')],
    self: '0123456789ab',
    policy: noGrace,
    expect: { 'container:0123456789abcdef': 'protected' },
  },
  {
    name: 'a disabled kind is protected',
    resources: [volume('v1', 'gone')],
    policy: policy({
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      resources: { ...noGrace.resources, volumes: { enabled: false } },
    }),
    expect: { 'volume:v1': 'protected' },
  },
  {
    name: 'empty owner label is foreign',
    resources: [container('c1', '')],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'a 10 KB owner label is foreign',
    resources: [container('c1', 'x'.repeat(10_240))],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'an owner label with a newline is foreign',
    resources: [container('c1', 'abc\ndef')],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'runtime not fully listed: fail closed',
    resources: [container('c1', 'gone'), container('x')],
    policy: noGrace,
    incomplete: true,
    expect: { 'container:c1': 'failedClosed', 'container:x': 'foreign' },
    reason: /^runtime not fully listed: nothing is reaped$/,
  },
  {
    name: 'owners not synced: fail closed, even for a live owner',
    resources: [container('c1', 'gone'), container('c2', 'A')],
    live: ['A'],
    policy: noGrace,
    unsynced: true,
    expect: { 'container:c1': 'failedClosed', 'container:c2': 'failedClosed' },
    reason: /^owners not fully visible: nothing is reaped$/,
  },
  {
    name: 'both blind: one reason names both',
    resources: [container('c1', 'gone')],
    policy: noGrace,
    incomplete: true,
    unsynced: true,
    expect: { 'container:c1': 'failedClosed' },
    reason: /^runtime not fully listed and owners not fully visible/,
  },
  {
    name: 'protected stays protected when failing closed',
    resources: [container('c1', 'gone', { labels: { ...ownedBy('gone'), 'reaper.dev/keep': 'true' } })],
    policy: noGrace,
    unsynced: true,
    expect: { 'container:c1': 'protected' },
  },
  {
    name: 'lease inherits its live container owner',
    resources: [container('c1', 'A'), lease('10.0.0.2', 'c1')],
    live: ['A'],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.2': 'ownerLive' },
  },
  {
    name: 'lease of an orphaned container goes with it',
    resources: [container('c1', 'gone'), lease('10.0.0.2', 'c1'), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'selected', 'ipLease:labnet/10.0.0.2': 'selected' },
  },
  {
    name: 'lease of a foreign container is foreign',
    resources: [container('f1'), lease('10.0.0.2', 'f1')],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.2': 'foreign' },
  },
  {
    name: 'dangling lease in a managed network is an orphan',
    resources: [lease('10.0.0.9', 'nosuchcontainer'), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.9': 'selected' },
    reason: /container is gone/,
  },
  {
    name: 'dangling lease in an unmanaged network is foreign',
    resources: [lease('10.0.0.9', 'nosuchcontainer', 'othernet')],
    policy: noGrace,
    expect: { 'ipLease:othernet/10.0.0.9': 'foreign' },
  },
  {
    name: 'name rule with an 8-character key prefix: live',
    resources: [container('c1', undefined, { name: 'lab_t_deadbeef_r1' })],
    live: ['deadbeef-1111-2222-3333-444455556666'],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)], timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    expect: { 'container:c1': 'ownerLive' },
  },
  {
    name: 'name rule with an 8-character key prefix: orphan',
    resources: [
      container('c1', undefined, { name: 'lab_t_deadbeef_r1' }),
      container('c2', undefined, { name: 'lab_t_0badf00d_r1' }),
      container('c3', undefined, { name: 'lab_t_0badf00d_r2' }),
    ],
    live: ['0badf00d-1111-2222-3333-444455556666'],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)], timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    expect: { 'container:c1': 'selected', 'container:c2': 'ownerLive' },
  },
  {
    name: 'a name the rule does not match is foreign',
    resources: [container('c1', undefined, { name: 'lab_x_deadbeef_r1' })],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)] }),
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'owners gone beyond maxOrphanPercent block the sweep',
    resources: [container('c1', 'gone'), container('c2', 'gone2'), container('c3', 'A')],
    live: ['A'],
    policy: guarded,
    expect: { 'container:c1': 'blocked', 'container:c2': 'blocked', 'container:c3': 'ownerLive' },
    reason: /^2 owners this sweep would reap are gone, 66\.7% of the 3 there were \(> maxOrphanPercent 50/,
  },
  {
    name: 'the only owner there was, deleted, is reaped with the default limits',
    resources: [container('c1', 'gone')],
    policy: noGrace,
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'nine owners gone and none live are reaped with the default limits (below minOwnersToBlock)',
    resources: goneOwners(9),
    policy: noGrace,
    expect: { 'container:g0': 'selected', 'container:g8': 'selected' },
  },
  {
    name: 'ten owners gone and none live block with the default limits',
    resources: goneOwners(10),
    policy: noGrace,
    expect: { 'container:g0': 'blocked', 'container:g9': 'blocked' },
    reason: /^10 owners this sweep would reap are gone, 100\.0% of the 10 there were/,
  },
  {
    name: 'many resources of one owner are one owner',
    resources: Array.from({ length: 30 }, (_, i) => container(`c${i}`, 'gone')),
    policy: noGrace,
    expect: { 'container:c0': 'selected', 'container:c29': 'selected' },
  },
  {
    name: 'the count limit takes the oldest first',
    resources: [
      container('new', 'gone', { createdAt: NOW - 10 * MINUTE }),
      container('old', 'gone', { createdAt: NOW - 30 * MINUTE }),
      container('mid', 'gone', { createdAt: NOW - 20 * MINUTE }),
      ...liveCrowd,
    ],
    live: ['A'],
    policy: policy({
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      limits: { maxDeletionsPerSweep: 2, maxOrphanPercent: 100 },
    }),
    expect: { 'container:old': 'selected', 'container:mid': 'selected', 'container:new': 'overLimit' },
  },
  {
    name: 'grace carried over from an earlier sweep: still waiting',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 30_000 },
    expect: { 'container:c1': 'inGrace' },
    reason: /orphaned for 30s of gracePeriod 1m0s/,
  },
  {
    name: 'a grace entry in the future restarts the wait',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW + 10 * MINUTE },
    expect: { 'container:c1': 'inGrace' },
    reason: /orphaned for 0ms/,
  },
  {
    name: 'a NaN grace entry restarts the wait instead of skipping it',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': Number.NaN },
    expect: { 'container:c1': 'inGrace' },
  },
  {
    name: 'an unknown creation time is too young',
    resources: [container('c1', 'gone', { createdAt: Number.NaN }), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 10 * MINUTE },
    expect: { 'container:c1': 'tooYoung' },
    reason: /creation time unknown/,
  },
  {
    name: 'created in the future is too young',
    resources: [container('c1', 'gone', { createdAt: NOW + MINUTE }), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'tooYoung' },
  },
  {
    name: 'too young is decided before grace: a young orphan is too young even with grace elapsed',
    resources: [container('c1', 'gone', { createdAt: NOW - MINUTE }), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 10 * MINUTE },
    expect: { 'container:c1': 'tooYoung' },
    reason: /owner gone is not live; created 1m0s ago, minAge 5m0s/,
  },
  {
    name: 'a 253-character owner key still attributes',
    resources: [container('c1', 'k'.repeat(253))],
    live: ['k'.repeat(253)],
    policy: noGrace,
    expect: { 'container:c1': 'ownerLive' },
  },
  {
    name: 'a 254-character owner key is foreign',
    resources: [container('c1', 'k'.repeat(254))],
    policy: noGrace,
    expect: { 'container:c1': 'foreign' },
  },
  {
    name: 'a malformed label falls through to a name rule',
    resources: [container('c1', 'bad\u0000key', { name: 'lab_t_deadbeef_r1' }), ...liveCrowd],
    live: ['A', 'deadbeef-1111'],
    policy: policy({
      match: [{ type: 'label', label: 'reaper.dev/owner-uid' }, nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)],
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
    }),
    expect: { 'container:c1': 'ownerLive' },
    reason: /owner deadbeef is live/,
  },
  {
    name: 'keep=false does not protect',
    resources: [container('c1', 'gone', { labels: { ...ownedBy('gone'), 'reaper.dev/keep': 'false' } }), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'a network named none is predefined whatever its id',
    resources: [network('9f3c', 'gone', { name: 'none' })],
    policy: noGrace,
    expect: { 'network:9f3c': 'protected' },
    reason: /predefined/,
  },
  {
    name: 'a short self id protects nothing',
    resources: [container('0123456789abcdef', 'gone'), ...liveCrowd],
    live: ['A'],
    self: '0123',
    policy: noGrace,
    expect: { 'container:0123456789abcdef': 'selected' },
  },
  {
    name: 'the lease of a kept container is protected with it',
    resources: [
      container('c1', 'gone', { labels: { ...ownedBy('gone'), 'reaper.dev/keep': 'true' } }),
      lease('10.0.0.2', 'c1'),
      ...liveCrowd,
    ],
    live: ['A'],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.2': 'protected', 'container:c1': 'protected' },
    reason: /its container is protected: labelled reaper.dev\/keep=true/,
  },
  {
    name: "the lease of reaper's own container is protected",
    resources: [container('0123456789abcdef', 'gone'), lease('10.0.0.2', '0123456789abcdef'), ...liveCrowd],
    live: ['A'],
    self: '0123456789ab',
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.2': 'protected' },
  },
  {
    name: 'the lease of a container when containers are not managed is protected',
    resources: [container('c1', 'gone'), lease('10.0.0.2', 'c1'), network('n1', 'A')],
    live: ['A'],
    policy: policy({
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      resources: { ...noGrace.resources, containers: { ...noGrace.resources.containers, enabled: false } },
    }),
    expect: { 'ipLease:labnet/10.0.0.2': 'protected', 'container:c1': 'protected' },
  },
  {
    name: 'a lease waits for its container while the container is too young',
    resources: [
      container('c1', 'gone', { createdAt: NOW - MINUTE }),
      lease('10.0.0.2', 'c1', 'labnet', { createdAt: NOW - 10 * MINUTE }),
      ...liveCrowd,
    ],
    live: ['A'],
    grace: { 'ipLease:labnet/10.0.0.2': NOW - 10 * MINUTE },
    expect: { 'ipLease:labnet/10.0.0.2': 'inGrace', 'container:c1': 'tooYoung' },
    reason: /waits for its container c-c1 \(tooYoung\)/,
  },
  {
    name: 'the limit keeps a lease with its container: held back together',
    resources: [
      container('c1', 'gone', { createdAt: NOW - 10 * MINUTE }),
      container('c0', 'gone', { createdAt: NOW - 40 * MINUTE }),
      lease('10.0.0.2', 'c1', 'labnet', { createdAt: NOW - 50 * MINUTE }),
      ...liveCrowd,
    ],
    live: ['A'],
    policy: policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { maxDeletionsPerSweep: 1 } }),
    expect: { 'ipLease:labnet/10.0.0.2': 'overLimit', 'container:c0': 'selected', 'container:c1': 'overLimit' },
    reason: /over maxDeletionsPerSweep 1/,
  },
  {
    name: 'the limit keeps a lease with its container: ranked by the container, selected right after it',
    resources: [
      container('c1', 'gone', { createdAt: NOW - 30 * MINUTE }),
      container('c0', 'gone', { createdAt: NOW - 20 * MINUTE }),
      lease('10.0.0.2', 'c1', 'labnet', { createdAt: NOW - 5 * MINUTE }),
      ...liveCrowd,
    ],
    live: ['A'],
    policy: policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { maxDeletionsPerSweep: 2 } }),
    expect: { 'ipLease:labnet/10.0.0.2': 'selected', 'container:c1': 'selected', 'container:c0': 'overLimit' },
  },
  {
    name: 'the limit never spends a slot on a lease that must stay',
    resources: [
      container('c1', 'gone', { createdAt: NOW - 10 * MINUTE }),
      container('c0', 'gone', { createdAt: NOW - 20 * MINUTE }),
      lease('10.0.0.2', 'c1', 'labnet', { createdAt: NOW - 50 * MINUTE }),
      volume('v1', 'gone', { createdAt: NOW - 15 * MINUTE }),
      ...liveCrowd,
      volume('v2', 'A'),
    ],
    live: ['A'],
    policy: policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { maxDeletionsPerSweep: 2 } }),
    expect: {
      'container:c0': 'selected',
      'volume:v1': 'selected',
      'container:c1': 'overLimit',
      'ipLease:labnet/10.0.0.2': 'overLimit',
    },
  },
  {
    name: 'a dangling lease is too young like anything else',
    resources: [lease('10.0.0.9', 'nosuchcontainer', 'labnet', { createdAt: NOW - MINUTE }), ...liveCrowd],
    live: ['A'],
    expect: { 'ipLease:labnet/10.0.0.9': 'tooYoung' },
    reason: /^its container is gone; created 1m0s ago/,
  },
  {
    name: "host-local's bookkeeping files in a managed network are protected",
    resources: [lease('lock', 'nosuchcontainer'), lease('last_reserved_ip.0', 'nosuchcontainer')],
    policy: noGrace,
    expect: { 'ipLease:labnet/lock': 'protected', 'ipLease:labnet/last_reserved_ip.0': 'protected' },
  },
  {
    name: 'name rule: a live key shorter than the prefix counts whole',
    resources: [container('c1', undefined, { name: 'lab_t_deadbeef_r1' })],
    live: ['deadbeef'],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)], timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    expect: { 'container:c1': 'ownerLive' },
  },
  {
    name: 'name rule on a network and a volume',
    resources: [
      network('n1', undefined, { name: 'lab_t_deadbeef_net' }),
      volume('lab_t_deadbeef_data'),
      volume('lab_t_0badf00d_data'),
      volume('lab_t_0badf00d_more'),
      volume('lab_t_0badf00d_logs'),
    ],
    live: ['0badf00d-1111-2222-3333-444455556666'],
    policy: policy({ match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)], timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
    expect: {
      'network:n1': 'selected',
      'volume:lab_t_deadbeef_data': 'selected',
      'volume:lab_t_0badf00d_data': 'ownerLive',
    },
  },
  {
    name: 'exactly maxOrphanPercent is not blocked',
    resources: [container('c1', 'gone'), container('c2', 'A')],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'selected' },
  },
  {
    name: 'owners of protected resources are not counted by the guard',
    resources: [
      container('c1', 'gone'),
      container('k1', 'kept1', { labels: { ...ownedBy('kept1'), 'reaper.dev/keep': 'true' } }),
      container('k2', 'kept2', { labels: { ...ownedBy('kept2'), 'reaper.dev/keep': 'true' } }),
      container('k3', 'kept3', { labels: { ...ownedBy('kept3'), 'reaper.dev/keep': 'true' } }),
    ],
    policy: guarded,
    expect: { 'container:c1': 'blocked', 'container:k1': 'protected' },
    reason: /^1 owners this sweep would reap are gone, 100\.0% of the 1 there were/,
  },
  {
    name: 'foreign resources are not counted by the guard',
    resources: [container('c1', 'gone'), container('f1'), container('f2'), container('f3')],
    policy: guarded,
    expect: { 'container:c1': 'blocked' },
    reason: /^1 owners this sweep would reap are gone/,
  },
  {
    name: 'owners whose orphans are still in grace are not judged yet',
    resources: [container('c1', 'gone'), container('c2', 'gone2'), container('c3', 'A')],
    live: ['A'],
    policy: policy({ limits: { minOwnersToBlock: 1 } }),
    grace: { 'container:c1': NOW - 10 * MINUTE },
    // gone of gone and A is 50%, not more: gone2 (in grace) would make it 67%.
    expect: { 'container:c1': 'selected', 'container:c2': 'inGrace' },
  },
  {
    name: 'maxDeletionsPerSweep 0 holds everything back',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    policy: policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, limits: { maxDeletionsPerSweep: 0 } }),
    expect: { 'container:c1': 'overLimit' },
    reason: /over maxDeletionsPerSweep 0: waits for the next sweep/,
  },
  {
    name: 'the count limit is across kinds, oldest first',
    resources: [
      volume('v-old', 'gone', { createdAt: NOW - 50 * MINUTE }),
      container('c-new', 'gone', { createdAt: NOW - 10 * MINUTE }),
      network('n-mid', 'gone', { createdAt: NOW - 30 * MINUTE }),
      ...liveCrowd,
    ],
    live: ['A'],
    policy: policy({
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      limits: { maxDeletionsPerSweep: 2, maxOrphanPercent: 100 },
    }),
    expect: { 'volume:v-old': 'selected', 'network:n-mid': 'selected', 'container:c-new': 'overLimit' },
  },
  {
    name: 'selected reason says whose owner is gone and for how long',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    grace: { 'container:c1': NOW - 3 * MINUTE },
    expect: { 'container:c1': 'selected' },
    reason: /^owner gone is not live; orphaned for 3m0s$/,
  },

  // Scope (design §1): the fixture policy sees Topology.reaper.dev owners in every namespace.
  {
    name: 'a Sandbox-labelled container of a deleted owner is out of scope of a Topology policy',
    resources: [container('s1', undefined, { labels: sandboxOf('gone') }), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:s1': 'outOfScope' },
    reason: /^its owner is a Sandbox\.reaper\.dev, not a kind this policy sees \(Topology\.reaper\.dev\)$/,
  },
  {
    name: 'an owner label without the kind label is out of scope',
    resources: [container('c1', undefined, { labels: { 'reaper.dev/owner-uid': 'gone' } }), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'container:c1': 'outOfScope' },
    reason:
      /^no reaper\.dev\/owner-kind label: the reaper\.dev\/owner-uid key could name an owner of a kind this policy does not see \(it sees Topology\.reaper\.dev\)$/,
  },
  {
    name: 'a kind label without its group is out of scope, with a hint',
    resources: [
      container('c1', undefined, { labels: { 'reaper.dev/owner-uid': 'gone', 'reaper.dev/owner-kind': 'Topology' } }),
    ],
    policy: noGrace,
    expect: { 'container:c1': 'outOfScope' },
    reason: /a Topology\.reaper\.dev is labelled reaper\.dev\/owner-kind=Topology\.reaper\.dev$/,
  },
  {
    name: 'out of scope comes before protection: a kept resource of another kind is out of scope',
    resources: [container('s1', undefined, { labels: { ...sandboxOf('gone'), 'reaper.dev/keep': 'true' } })],
    policy: noGrace,
    expect: { 'container:s1': 'outOfScope' },
  },
  {
    name: 'the lease of an out-of-scope container is out of scope with it',
    resources: [container('s1', undefined, { labels: sandboxOf('gone') }), lease('10.0.0.9', 's1'), ...liveCrowd],
    live: ['A'],
    policy: noGrace,
    expect: { 'ipLease:labnet/10.0.0.9': 'outOfScope', 'container:s1': 'outOfScope' },
    reason: /^its owner is a Sandbox\.reaper\.dev/,
  },
  {
    name: 'out-of-scope resources name no owner the guard counts',
    resources: [
      container('c1', 'gone'),
      container('s1', undefined, { labels: sandboxOf('gone') }),
      container('s2', undefined, { labels: sandboxOf('A') }),
      container('s3', undefined, { labels: { 'reaper.dev/owner-uid': 'A' } }),
    ],
    live: ['A'],
    policy: guarded,
    // gone against A is 50%, not more; the out-of-scope resources' owners would make it more.
    expect: { 'container:c1': 'selected', 'container:s1': 'outOfScope', 'container:s2': 'outOfScope' },
  },
  {
    name: 'failing closed leaves out-of-scope resources out of scope',
    resources: [container('c1', 'gone'), container('s1', undefined, { labels: sandboxOf('gone') })],
    unsynced: true,
    policy: noGrace,
    expect: { 'container:s1': 'outOfScope', 'container:c1': 'failedClosed' },
  },
  {
    name: 'a policy that lists namespaces judges only what states one of them',
    resources: [
      container('in', undefined, { labels: { ...ownedBy('gone'), 'reaper.dev/owner-namespace': 'labs' } }),
      container('other', undefined, { labels: { ...ownedBy('gone'), 'reaper.dev/owner-namespace': 'other' } }),
      container('none', 'gone'),
    ],
    policy: inLabs,
    expect: { 'container:none': 'outOfScope', 'container:in': 'selected', 'container:other': 'outOfScope' },
    reason: /^nothing says the owner's namespace \(no reaper\.dev\/owner-namespace label\)/,
  },
  {
    name: 'a name rule reads the name as the policy’s own kinds, but a kind label wins',
    resources: [
      container('n1', undefined, { name: 'lab_t_deadbeef_r1' }),
      container('n2', undefined, {
        name: 'lab_t_deadbeef_r2',
        labels: { 'reaper.dev/owner-kind': 'Sandbox.reaper.dev' },
      }),
    ],
    policy: policy({
      match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)],
      timing: { minAgeMs: 0, gracePeriodMs: 0 },
      limits: { maxOrphanPercent: 100 },
    }),
    expect: { 'container:n2': 'outOfScope', 'container:n1': 'selected' },
    reason: /^its owner is a Sandbox\.reaper\.dev/,
  },
  {
    name: 'a name rule is never read as naming a namespace',
    resources: [
      container('n1', undefined, { name: 'lab_t_deadbeef_r1' }),
      container('n2', undefined, { name: 'lab_t_deadbeef_r2', labels: { 'reaper.dev/owner-namespace': 'labs' } }),
    ],
    policy: policy({ ...inLabs, match: [nameRule('^lab_t_(?<key>[0-9a-f]{8})_', 8)] }),
    expect: { 'container:n1': 'outOfScope', 'container:n2': 'selected' },
    reason: /^nothing says the owner's namespace/,
  },
  {
    name: 'a rival that reads the same label differently leaves the resource to neither',
    resources: [container('c1', 'gone'), ...liveCrowd],
    live: ['A'],
    policy: policy({ ...noGrace, rivals: [topologiesByName] }),
    expect: { 'container:c1': 'outOfScope', 'container:l1': 'outOfScope' },
    reason:
      /^policy by-name claims it too \(label reaper\.dev\/owner-uid\) and reads its owner differently: neither policy reaps it until their owners agree or its labels say whose it is$/,
  },
  {
    name: 'a rival whose kinds the labels exclude does not claim the resource',
    resources: [container('c1', 'gone'), container('s1', undefined, { labels: sandboxOf('gone') }), ...liveCrowd],
    live: ['A'],
    policy: policy({ ...noGrace, rivals: [sandboxes] }),
    expect: { 'container:c1': 'selected', 'container:s1': 'outOfScope', 'container:l1': 'ownerLive' },
  },
];

describe('planReap decisions', () => {
  test.each(cases)('$name', (c) => {
    const plan = planReap(
      snapshot(c.resources, c.incomplete ? { complete: false, errors: ['docker: connection refused'] } : {}),
      owners(c.live ?? [], c.unsynced ? { synced: false, errors: ['Topology watch failed'] } : {}),
      c.policy ?? policy(),
      graceStateFromRecord(c.grace ?? {}),
      NOW,
      c.self ? { selfContainerId: c.self } : {},
    );
    const decisions = Object.fromEntries(plan.items.map((i) => [resourceKey(i.resource), i.decision]));
    expect(decisions).toMatchObject(c.expect);
    if (c.reason) {
      const first = Object.keys(c.expect)[0]!;
      expect(plan.items.find((i) => resourceKey(i.resource) === first)?.reason).toMatch(c.reason);
    }
    expect(plan.selected.every((i) => i.decision === 'selected')).toBe(true);
  });
});

describe('planReap as a whole', () => {
  test('owners not synced: nothing selected, grace state kept as it was', () => {
    const grace = graceStateFromRecord({ 'container:c1': NOW - 10 * MINUTE });
    const plan = planReap(
      snapshot([container('c1', 'gone')]),
      owners([], { synced: false, errors: ['Topology watch failed'] }),
      policy(),
      grace,
      NOW,
    );
    expect(plan.selected).toEqual([]);
    expect(plan.failedClosed).toEqual(['owners not fully visible: Topology watch failed']);
    expect(graceStateToRecord(plan.graceState)).toEqual({ 'container:c1': NOW - 10 * MINUTE });
  });

  test('grace is forgotten when the owner returns, and restarts from zero if it goes again', () => {
    const resources = [container('c1', 'A'), ...liveCrowd];
    const first = planReap(snapshot(resources), owners(['B']), policy(), NO_GRACE, NOW);
    expect(graceStateToRecord(first.graceState)['container:c1']).toBe(NOW);
    const back = planReap(snapshot(resources), owners(['A']), policy(), first.graceState, NOW + MINUTE);
    expect(graceStateToRecord(back.graceState)).toEqual({});
    const goneAgain = planReap(snapshot(resources), owners(['B']), policy(), back.graceState, NOW + 2 * MINUTE);
    expect(graceStateToRecord(goneAgain.graceState)['container:c1']).toBe(NOW + 2 * MINUTE);
  });

  test('grace carries over from sweep to sweep until it elapses', () => {
    const resources = [container('c1', 'gone'), ...liveCrowd];
    const first = planReap(snapshot(resources), owners(['A']), policy(), NO_GRACE, NOW);
    expect(graceStateToRecord(first.graceState)).toEqual({ 'container:c1': NOW });
    const second = planReap(snapshot(resources), owners(['A']), policy(), first.graceState, NOW + 30_000);
    expect(second.items[0]).toMatchObject({ decision: 'inGrace', reason: expect.stringMatching(/orphaned for 30s/) });
    expect(graceStateToRecord(second.graceState)).toEqual({ 'container:c1': NOW });
    const third = planReap(snapshot(resources), owners(['A']), policy(), second.graceState, NOW + MINUTE);
    expect(third.selected.map((i) => i.resource.id)).toEqual(['c1']);
    expect(graceStateToRecord(third.graceState)).toEqual({ 'container:c1': NOW });
  });

  test('a too-young orphan already runs its grace clock', () => {
    const young = container('c1', 'gone', { createdAt: NOW - MINUTE });
    const plan = planReap(snapshot([young, ...liveCrowd]), owners(['A']), policy(), NO_GRACE, NOW);
    expect(plan.items.find((i) => i.resource.id === 'c1')?.decision).toBe('tooYoung');
    expect(graceStateToRecord(plan.graceState)).toEqual({ 'container:c1': NOW });
  });

  test('an owner of a held wave is blocked even when it is the only one this node holds', () => {
    const wave = {
      keys: Array.from({ length: 800 }, (_, i) => `gone${i}`).sort(),
      firstAt: NOW - MINUTE,
      lastAt: NOW - MINUTE,
    };
    const resources = [container('c1', 'gone7'), container('c2', 'A')];
    const options = { liveOwnerCount: 200, deletionWaves: [wave] };
    const plan = planReap(snapshot(resources), owners(['A']), noGrace, NO_GRACE, NOW, options);
    expect(plan.blocked).toMatchObject({ cause: 'MassDeletion', owners: 800, liveOwners: 200, held: 1 });
    expect(plan.selected).toHaveLength(0);
    // Without the wave, the same node would reap its one orphan: the guard judges the fleet's owners.
    expect(planReap(snapshot(resources), owners(['A']), noGrace, NO_GRACE, NOW).selected).toHaveLength(1);
    const approved = { ...noGrace, approvedSweep: plan.blocked!.approvalId };
    expect(planReap(snapshot(resources), owners(['A']), approved, NO_GRACE, NOW, options).selected).toHaveLength(1);
  });

  test('an owner of a burst of deletions still arriving waits in grace; the others are judged now', () => {
    const resources = [container('c1', 'gone7'), container('c2', 'other'), container('c3', 'A')];
    const settling = new Set(Array.from({ length: 300 }, (_, i) => `gone${i}`));
    const plan = planReap(snapshot(resources), owners(['A']), noGrace, NO_GRACE, NOW, { settlingOwners: settling });
    const decision = (id: string) => plan.items.find((i) => i.resource.id === id)!;
    expect(decision('c1')).toMatchObject({
      decision: 'inGrace',
      reason: 'its owner went in a burst of 300 deletions still arriving; judged once it ends',
    });
    expect(decision('c2').decision).toBe('selected');
    expect(plan.waitingForBurst).toBe(1);
    expect(plan.blocked).toBeUndefined();
  });

  test('a blocked sweep still keeps the grace clocks of its orphans', () => {
    const resources = [container('c1', 'gone'), container('c2', 'gone2'), container('c3', 'A')];
    const grace = graceStateFromRecord({
      'container:c1': NOW - 2 * MINUTE,
      'container:c2': NOW - 2 * MINUTE,
      'container:c3': NOW,
    });
    const plan = planReap(snapshot(resources), owners(['A']), policy({ limits: { minOwnersToBlock: 1 } }), grace, NOW);
    expect(plan.blocked).toBeDefined();
    expect(graceStateToRecord(plan.graceState)).toEqual({
      'container:c1': NOW - 2 * MINUTE,
      'container:c2': NOW - 2 * MINUTE,
    });
  });

  test('failing closed returns the grace state exactly as given, vanished resources included', () => {
    const given = { 'container:c1': NOW - 2 * MINUTE, 'volume:vanished': NOW - 5 * MINUTE };
    const grace = graceStateFromRecord(given);
    const plan = planReap(
      snapshot([container('c1', 'gone'), container('c2', 'gone')], { complete: false, errors: [] }),
      owners([]),
      policy(),
      grace,
      NOW,
    );
    expect(graceStateToRecord(plan.graceState)).toEqual(given);
    expect(plan.graceState).not.toBe(grace);
    expect(plan.failedClosed).toEqual(['runtime not fully listed']);
    expect(plan.orphanPercent).toBe(0);
  });

  test('both fail-closed flags give their reasons', () => {
    const plan = planReap(
      snapshot([container('c1', 'gone')], { complete: false, errors: ['docker: EOF', 'cni: EACCES'] }),
      owners([], { synced: false, errors: [] }),
      policy(),
      NO_GRACE,
      NOW,
    );
    expect(plan.failedClosed).toEqual([
      'runtime not fully listed: docker: EOF',
      'runtime not fully listed: cni: EACCES',
      'owners not fully visible',
    ]);
  });

  test('the plan does not depend on the mode: a dry run plans what a real run would', () => {
    const resources = [container('c1', 'gone'), lease('10.0.0.2', 'c1'), volume('v1', 'gone'), ...liveCrowd];
    const reap = policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 }, mode: 'Reap' });
    const dry = { ...reap, mode: 'DryRun' as const };
    expect(planReap(snapshot(resources), owners(['A']), dry, NO_GRACE, NOW)).toEqual(
      planReap(snapshot(resources), owners(['A']), reap, NO_GRACE, NOW),
    );
  });

  test('orphanPercent is over attributable, unprotected resources', () => {
    const plan = planReap(
      snapshot([container('c1', 'gone'), ...liveCrowd, container('f1'), network('bridge', 'gone', { name: 'bridge' })]),
      owners(['A']),
      policy(),
      NO_GRACE,
      NOW,
    );
    expect(plan.orphanPercent).toBe(25);
  });

  test('the input is left as it was', () => {
    const resources = [volume('v1', 'gone'), container('c1', 'gone')];
    const grace = graceStateFromRecord({ 'container:c1': NOW - 2 * MINUTE });
    planReap(snapshot(resources), owners([]), policy(), grace, NOW);
    expect(resources.map((r) => r.id)).toEqual(['v1', 'c1']);
    expect(graceStateToRecord(grace)).toEqual({ 'container:c1': NOW - 2 * MINUTE });
  });

  test('grace entries of resources no longer present are dropped', () => {
    const grace = graceStateFromRecord({ 'container:vanished': NOW - MINUTE });
    const plan = planReap(snapshot([]), owners([]), policy(), grace, NOW);
    expect(graceStateToRecord(plan.graceState)).toEqual({});
  });

  test('execution order: containers, leases, networks, volumes; oldest first within a kind', () => {
    const resources = [
      volume('v1', 'gone'),
      network('n1', 'gone'),
      lease('10.0.0.5', 'c2'),
      container('c2', 'gone', { createdAt: NOW - 10 * MINUTE }),
      container('c1', 'gone', { createdAt: NOW - 20 * MINUTE }),
      ...liveCrowd,
      network('live-n', 'A'),
      volume('live-v', 'A'),
    ];
    const plan = planReap(
      snapshot(resources),
      owners(['A']),
      policy({ timing: { minAgeMs: 0, gracePeriodMs: 0 } }),
      NO_GRACE,
      NOW,
    );
    expect(plan.selected.map((i) => resourceKey(i.resource))).toEqual([
      'container:c1',
      'container:c2',
      'ipLease:labnet/10.0.0.5',
      'network:n1',
      'volume:v1',
    ]);
  });

  test('an approval releases exactly the blocked set, and a different set needs a new approval', () => {
    const resources = [...goneOwners(10), container('c3', 'A')];
    const base = noGrace;
    const blocked = planReap(snapshot(resources), owners(['A']), base, NO_GRACE, NOW);
    expect(blocked.blocked?.approvalId).toMatch(/^b-[0-9a-f]{12}$/);

    const approved = { ...base, approvedSweep: blocked.blocked!.approvalId };
    const released = planReap(snapshot(resources), owners(['A']), approved, NO_GRACE, NOW);
    expect(released.blocked).toBeUndefined();
    expect(released.selected).toHaveLength(10);

    const more = [...resources, container('c4', 'gone-too')];
    expect(planReap(snapshot(more), owners(['A']), approved, NO_GRACE, NOW).blocked).toBeDefined();
  });
});
