// Who owns a runtime resource, by the policy's match rules (design §1). Keys come from labels and
// names that anyone can write, so a key that does not look like a key attributes nothing.
import type { MatchRule, OwnerKeyRule } from './policy.js';
import type { Labels } from './model.js';

/** Owner keys are uids, namespace/name pairs or short field values: anything else is not a key. */
const MAX_KEY_LENGTH = 253;
/** Names are matched only up to this length: longer ones are not names any platform writes. */
const MAX_MATCHED_NAME_LENGTH = 1024;

export interface Claim {
  readonly key: string;
  readonly rule: MatchRule;
}

export function isPlausibleKey(key: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters make a key implausible
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && !/[\u0000-\u001f\u007f]/.test(key);
}

/** The owner key the first matching rule extracts, or undefined when the resource is foreign. */
export function claimOf(resource: { name: string; labels: Labels }, rules: readonly MatchRule[]): Claim | undefined {
  for (const rule of rules) {
    const key = rule.type === 'label' ? labelValue(resource.labels, rule.label) : nameKey(resource.name, rule);
    if (key !== undefined && isPlausibleKey(key)) return { key, rule };
  }
  return undefined;
}

function labelValue(labels: Labels, label: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, label) ? labels[label] : undefined;
}

function nameKey(name: string, rule: Extract<MatchRule, { type: 'name' }>): string | undefined {
  if (name.length > MAX_MATCHED_NAME_LENGTH) return undefined;
  const matcher = rule.regex.matcher(name);
  if (!matcher.find()) return undefined;
  const key = matcher.group('key');
  return typeof key === 'string' ? key : undefined;
}

/**
 * Answers "is this claim's owner live?" for a set of live keys. Name rules with a key prefix length
 * compare the extracted key with that many leading characters of each live key; the prefix sets
 * are built once per length, so a check costs one lookup.
 */
export class LiveKeyIndex {
  private readonly prefixSets = new Map<number, Set<string>>();

  constructor(private readonly keys: ReadonlySet<string>) {}

  isLive(claim: Claim): boolean {
    const length = claim.rule.type === 'name' ? claim.rule.keyPrefixLength : undefined;
    if (length === undefined) return this.keys.has(claim.key);
    return this.prefixes(length).has(claim.key);
  }

  private prefixes(length: number): Set<string> {
    let set = this.prefixSets.get(length);
    if (!set) {
      set = new Set();
      for (const key of this.keys) if (key.length >= length) set.add(key.slice(0, length));
      this.prefixSets.set(length, set);
    }
    return set;
  }
}

/** An owner object's key under the policy's key rule; undefined when the object does not have one. */
export function ownerKeyFromObject(object: unknown, rule: OwnerKeyRule): string | undefined {
  const metadata = (object as { metadata?: { uid?: unknown; name?: unknown; namespace?: unknown } } | null)?.metadata;
  let key: unknown;
  switch (rule.type) {
    case 'uid':
      key = metadata?.uid;
      break;
    case 'name':
      if (typeof metadata?.name !== 'string') return undefined;
      key = typeof metadata.namespace === 'string' ? `${metadata.namespace}/${metadata.name}` : metadata.name;
      break;
    case 'field':
      key = rule.path.reduce<unknown>(
        (value, segment) =>
          typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, segment)
            ? (value as Record<string, unknown>)[segment]
            : undefined,
        object,
      );
      break;
  }
  if (typeof key === 'number' && Number.isFinite(key)) key = String(key);
  return typeof key === 'string' && isPlausibleKey(key) ? key : undefined;
}
