// Which claims a policy may judge (docs/design.md §1, scope). A policy sees only the owners of its
// kinds in its namespaces, so it can tell that an owner is gone only when the key names an owner
// inside that scope. Anything else is out of scope: never reaped, counted and reported with why.
//
// What places a key in scope:
// - the resource's labels: reaper.dev/owner-kind (the owner's group-qualified kind, `Topology.reaper.dev`,
//   a core kind bare as `Pod`) and reaper.dev/owner-namespace;
// - a `namespace/name` key, which states its namespace;
// - a name rule: a naming convention belongs to one platform's kinds, so a name rule is read as naming
//   the policy's own kinds (never its namespaces: teams in two namespaces share a convention).
// A label rule's key alone says nothing: one label (reaper.dev/owner-uid) is shared by every kind.
//
// Two policies may both claim a resource (a shared label key, overlapping name patterns). Where they
// would read its owner differently (other kinds, namespaces or key rules), neither may judge it: each
// sees only its own owners, and the resource could be the other's.
import type { Claim } from './attribution.js';
import type { Labels } from './model.js';
import { ownerKeyShapes } from './owner-key-shape.js';
import type { MatchRule, OwnerKeyRule, OwnerKind, Policy, Rival } from './policy.js';
import { OWNER_KIND_LABEL, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL, OWNER_UID_LABEL } from './policy.js';
import { keyByRule } from './rule-key.js';

/** `Kind.group` as kubectl spells a kind (schema.GroupKind), or the bare kind of the core group. */
export function groupKindOf(owner: Pick<OwnerKind, 'apiVersion' | 'kind'>): string {
  const slash = owner.apiVersion.indexOf('/');
  return slash < 0 ? owner.kind : `${owner.kind}.${owner.apiVersion.slice(0, slash)}`;
}

/** The labels of the ownership contract a deployer writes on everything it creates for an owner. */
export function ownerContractLabels(owner: {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly uid: string;
}): Record<string, string> {
  const labels: Record<string, string> = {
    [OWNER_UID_LABEL]: owner.uid,
    [OWNER_KIND_LABEL]: groupKindOf(owner),
  };
  if (owner.namespace) labels[OWNER_NAMESPACE_LABEL] = owner.namespace;
  // Label values stop at 63 characters: a longer name is left out rather than cut.
  if (owner.name && owner.name.length <= 63) labels[OWNER_NAME_LABEL] = owner.name;
  return labels;
}

/** How one policy reads one owner kind: the namespaces it sees (empty: all) and the key rules. */
interface KindScope {
  readonly groupKind: string;
  readonly allNamespaces: boolean;
  readonly namespaces: ReadonlySet<string>;
  /** The namespaces, sorted, for messages and for comparing readings. */
  readonly namespaceText: string;
  /** Every key rule the policy's entries of this kind use, sorted, for comparing readings. */
  readonly keyRules: string;
  /** Any entry of this kind is keyed by `namespace/name`: such a key states its namespace. */
  readonly nameKeyed: boolean;
  /**
   * Entries of this kind that key owners differently (`uid` in one namespace, `name` in another):
   * a claim is judged only where every entry covers its namespace, because the live keys of a
   * namespace one entry leaves out are of the other rule only.
   */
  readonly mixed?: readonly OwnerKind[];
}

interface PolicyScope {
  readonly kinds: ReadonlyMap<string, KindScope>;
  /** e.g. `Topology.reaper.dev, Sandbox.reaper.dev`. */
  readonly kindsText: string;
  /** Bare kind -> group-qualified kinds of the policy, for the hint on an unqualified label. */
  readonly byBareKind: ReadonlyMap<string, string>;
}

const scopes = new WeakMap<readonly OwnerKind[], PolicyScope>();

function scopeOf(owners: readonly OwnerKind[]): PolicyScope {
  let scope = scopes.get(owners);
  if (!scope) scopes.set(owners, (scope = buildScope(owners)));
  return scope;
}

function buildScope(owners: readonly OwnerKind[]): PolicyScope {
  const entries = new Map<string, OwnerKind[]>();
  for (const owner of owners) {
    const groupKind = groupKindOf(owner);
    entries.set(groupKind, [...(entries.get(groupKind) ?? []), owner]);
  }
  const kinds = new Map<string, KindScope>();
  const byBareKind = new Map<string, string>();
  for (const [groupKind, list] of entries) {
    // Two entries of one kind: the policy sees the union of their namespaces.
    const allNamespaces = list.some((o) => o.namespaces.length === 0);
    const namespaces = new Set(allNamespaces ? [] : list.flatMap((o) => o.namespaces));
    const keyRules = [...new Set(list.map((o) => keyRuleText(o.key)))].sort();
    kinds.set(groupKind, {
      groupKind,
      allNamespaces,
      namespaces,
      namespaceText: allNamespaces ? 'all namespaces' : [...namespaces].sort().join(', '),
      keyRules: keyRules.join(' '),
      nameKeyed: list.some((o) => o.key.type === 'name'),
      ...(keyRules.length > 1 ? { mixed: list } : {}),
    });
    byBareKind.set(list[0]!.kind, groupKind);
  }
  return { kinds, kindsText: [...kinds.keys()].join(', '), byBareKind };
}

function keyRuleText(rule: OwnerKeyRule): string {
  return rule.type === 'field' ? `.${rule.path.join('.')}` : rule.type;
}

/**
 * How a policy would read the owner of a resource it claims: for each kind the owner could be, the
 * namespaces it would look in and the key rule. Undefined when the claim is out of its scope; then
 * `why` says so. Two policies that read a resource the same way see the same owner.
 */
type Reading = { readonly text: string } | { readonly why: string };

/** In scope with nothing to compare: the planner asks this of every claim, so no text is built. */
const IN_SCOPE: Reading = { text: '' };

function readingOf(
  labels: Labels,
  claim: Pick<Claim, 'key' | 'rule'>,
  owners: readonly OwnerKind[],
  describe: boolean,
): Reading {
  const scope = scopeOf(owners);
  const statedKind = Object.hasOwn(labels, OWNER_KIND_LABEL) ? labels[OWNER_KIND_LABEL] : undefined;
  const statedNamespace = Object.hasOwn(labels, OWNER_NAMESPACE_LABEL) ? labels[OWNER_NAMESPACE_LABEL] : undefined;
  const parts: string[] | undefined = describe ? [] : undefined;
  if (statedKind !== undefined) {
    const kind = scope.kinds.get(statedKind);
    if (kind === undefined) return { why: foreignKind(statedKind, scope) };
    const why = kindReading(kind, claim, statedNamespace, parts);
    if (why !== undefined) return { why };
  } else if (claim.rule.type === 'name') {
    for (const kind of scope.kinds.values()) {
      const why = kindReading(kind, claim, statedNamespace, parts);
      if (why !== undefined) return { why };
    }
  } else {
    return {
      why:
        `no ${OWNER_KIND_LABEL} label: the ${claim.rule.label} key could name an owner of a kind this policy ` +
        `does not see (it sees ${scope.kindsText})`,
    };
  }
  if (!parts) return IN_SCOPE;
  // The key, and how much of it counts, are part of the reading: other keys name other owners.
  const prefix = claim.rule.type === 'name' ? (claim.rule.keyPrefixLength ?? '') : '';
  return { text: `${claim.key}~${prefix}|${parts.join('|')}` };
}

/** Why the claim's owner, as one kind, is outside the scope; else undefined, and its part of the reading added. */
function kindReading(
  kind: KindScope,
  claim: Pick<Claim, 'key' | 'rule'>,
  statedNamespace: string | undefined,
  parts: string[] | undefined,
): string | undefined {
  const namespace = namespaceOf(kind, claim, statedNamespace);
  if (namespace === null) return `the owner key ${claim.key} and ${OWNER_NAMESPACE_LABEL} name different namespaces`;
  if (!kind.allNamespaces) {
    if (namespace === undefined)
      return (
        `nothing says the owner's namespace (no ${OWNER_NAMESPACE_LABEL} label): a ${kind.groupKind} of the key ` +
        `could be in a namespace this policy does not see (it sees ${kind.namespaceText})`
      );
    if (!kind.namespaces.has(namespace))
      return `its owner is in namespace ${namespace}, which this policy does not see for ${kind.groupKind} (it sees ${kind.namespaceText})`;
  }
  if (kind.mixed && !kind.mixed.every((entry) => coversNamespace(entry, namespace)))
    return (
      `this policy keys ${kind.groupKind} owners by ${kind.keyRules.replace(' ', ' and by ')} in different namespaces: ` +
      `which key ${namespace === undefined ? 'an owner of unknown namespace' : `an owner in ${namespace}`} has cannot be told`
    );
  parts?.push(`${kind.groupKind}@${namespace ?? kind.namespaceText}#${kind.keyRules}`);
  return undefined;
}

/** Whether an owner kind's entry sees a namespace (no namespaces listed: every one). */
export function coversNamespace(entry: Pick<OwnerKind, 'namespaces'>, namespace: string | undefined): boolean {
  return entry.namespaces.length === 0 || (namespace !== undefined && entry.namespaces.includes(namespace));
}

/** The owner's namespace as the resource states it; null when its key and its label disagree. */
function namespaceOf(
  kind: KindScope,
  claim: Pick<Claim, 'key' | 'rule'>,
  statedNamespace: string | undefined,
): string | undefined | null {
  // Only a whole key states a namespace: a prefix may stop short of the slash.
  const whole = claim.rule.type === 'label' || claim.rule.keyPrefixLength === undefined;
  const slash = kind.nameKeyed && whole ? claim.key.indexOf('/') : -1;
  if (slash < 0) return statedNamespace;
  const fromKey = claim.key.slice(0, slash);
  return statedNamespace === undefined || statedNamespace === fromKey ? fromKey : null;
}

function foreignKind(statedKind: string, scope: PolicyScope): string {
  const qualified = statedKind.includes('.') ? undefined : scope.byBareKind.get(statedKind);
  const hint = qualified ? `; a ${qualified} is labelled ${OWNER_KIND_LABEL}=${qualified}` : '';
  return `its owner is a ${statedKind}, not a kind this policy sees (${scope.kindsText})${hint}`;
}

const NO_RIVALS: readonly Rival[] = [];

/**
 * Why the policy may not judge this claim, or undefined when it may: the key names an owner inside
 * the policy's scope, and no rival policy claims the resource while reading its owner differently.
 */
export function outOfScopeReason(
  resource: { readonly name: string; readonly labels: Labels },
  claim: Pick<Claim, 'key' | 'rule'>,
  policy: Pick<Policy, 'owners'> & { readonly rivals?: readonly Rival[] | undefined },
): string | undefined {
  const rivals = policy.rivals ?? NO_RIVALS;
  const own = readingOf(resource.labels, claim, policy.owners, rivals.length > 0);
  if ('why' in own) return own.why;
  for (const rival of rivals) {
    for (const rule of rival.match) {
      if (!sameKindOfClaim(claim.rule, rule)) continue;
      const key = keyByRule(resource, rule);
      if (key === undefined || !ownerKeyShapes(rival.owners).accepts(key, rule)) continue;
      const theirs = readingOf(resource.labels, { key, rule }, rival.owners, true);
      if ('text' in theirs && theirs.text !== own.text)
        return (
          `policy ${rival.name} claims it too (${describeRule(rule)}) and reads its owner differently: ` +
          'neither policy reaps it until their owners agree or its labels say whose it is'
        );
    }
  }
  return undefined;
}

/** A label rule meets only the same label; any two name rules may match one name. */
function sameKindOfClaim(ours: MatchRule, theirs: MatchRule): boolean {
  if (ours.type === 'label') return theirs.type === 'label' && theirs.label === ours.label;
  return theirs.type === 'name';
}

export function describeRule(rule: MatchRule): string {
  return rule.type === 'label' ? `label ${rule.label}` : `nameRegex ${rule.source}`;
}

/** One overlap between two policies: the same label key or name pattern, with different owners. */
export interface ClaimOverlap {
  readonly policy: string;
  readonly rival: string;
  /** e.g. `label reaper.dev/owner-uid`. */
  readonly rule: string;
}

/** Normalized owners, so two policies that list the same owners in another order read alike. */
function ownersText(owners: readonly OwnerKind[]): string {
  const entries = owners.map(
    (o) => `${groupKindOf(o)}@${[...new Set(o.namespaces)].sort().join(',') || '*'}#${keyRuleText(o.key)}`,
  );
  return [...new Set(entries)].sort().join('|');
}

/**
 * The policies each valid policy must defer to: every other policy with different owners that
 * claims the same label key, or (when this one has name rules) has name rules of its own; and the
 * overlaps to report, where a label key or name pattern is claimed word for word by both.
 */
export function rivalsAmong(policies: readonly Rival[]): {
  readonly rivals: ReadonlyMap<string, readonly Rival[]>;
  readonly overlaps: readonly ClaimOverlap[];
} {
  const rivals = new Map<string, Rival[]>();
  const overlaps: ClaimOverlap[] = [];
  const owners = new Map(policies.map((p) => [p.name, ownersText(p.owners)]));
  for (const policy of policies) {
    const list: Rival[] = [];
    for (const other of policies) {
      if (other.name === policy.name || owners.get(other.name) === owners.get(policy.name)) continue;
      const shared = policy.match.filter((ours) => other.match.some((theirs) => sameKindOfClaim(ours, theirs)));
      if (shared.length === 0) continue;
      list.push(other);
      for (const ours of shared) {
        const same = other.match.some((theirs) => describeRule(theirs) === describeRule(ours));
        if (same) overlaps.push({ policy: policy.name, rival: other.name, rule: describeRule(ours) });
      }
    }
    rivals.set(policy.name, list);
  }
  return { rivals, overlaps };
}

/** e.g. `label reaper.dev/owner-uid is also claimed by policy team-b with other owners: …`. */
export function describeOverlaps(overlaps: readonly ClaimOverlap[]): string {
  const lines = overlaps.map((o) => `${o.rule} is also claimed by policy ${o.rival} with other owners`);
  return (
    `${lines.join('; ')}: a resource both could own is reaped by neither (OutOfScope in lastSweep) ` +
    'until the policies agree on its owners or its labels say whose it is'
  );
}
