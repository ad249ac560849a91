// Which claimed keys some owner could have at all. Labels and names are written by anyone: a key that
// is malformed, or that no owner kind of the policy could ever produce, is not "an owner that is
// gone" but no owner, and its resource is foreign. Each owner kind's key rule (policy.ts
// OwnerKeyRule) produces keys of one shape.
import type { MatchRule, OwnerKeyRule, OwnerKind } from './policy.js';

/** Owner keys are uids, namespace/name pairs or short field values: anything longer is not a key. */
export const MAX_OWNER_KEY_LENGTH = 253;

// eslint-disable-next-line no-control-regex -- control characters make a key malformed
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** What every key is, whatever its owner kind: 1 to 253 characters, no control character. */
export function isWellFormedOwnerKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_OWNER_KEY_LENGTH && !CONTROL_CHARACTER.test(key);
}

/** Whether a claimed key is well-formed and has the shape of a key some owner kind could produce. */
export interface OwnerKeyShapes {
  accepts(key: string, rule: MatchRule): boolean;
  /** accepts() for a rule that extracts whole keys (no keyPrefixLength). */
  readonly whole: (key: string) => boolean;
}

/** The shape of one key rule's keys: whole keys, and the leading part of one (for prefix rules). */
interface KeyShape {
  whole(key: string): boolean;
  /** Whether some whole key starts with `start` (or is `start`). */
  startOf(start: string): boolean;
}

// metadata.uid: RFC 4122 form as the API server writes it, lowercase. Keys are compared exactly, so
// an upper-case copy of a uid can never be a live owner's: it is foreign, not an orphan.
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Completes the start of a uid to a whole one: the dashes are at fixed places. */
const UID_FILLER = '00000000-0000-0000-0000-000000000000';

// `namespace/name` for namespaced owners, `name` for cluster-scoped ones (ownerKeyFromObject). A
// namespace is a DNS-1123 label (at most 63 characters); names of custom resources, and of most
// built-in kinds, are DNS-1123 subdomains. 253 characters is both a subdomain's limit and any key's.
const DNS_1123_LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const DNS_1123_SUBDOMAIN = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*';
const NAME_KEY = new RegExp(`^(?:${DNS_1123_LABEL}/)?${DNS_1123_SUBDOMAIN}$`);

const uidShape: KeyShape = {
  whole: (key) => UID.test(key),
  startOf: (start) => start.length <= UID_FILLER.length && UID.test(start + UID_FILLER.slice(start.length)),
};

const nameShape: KeyShape = {
  whole: (key) => key.length <= MAX_OWNER_KEY_LENGTH && NAME_KEY.test(key),
  // A start that is not whole can only end in '-', '.' or '/', and one more character completes it.
  startOf: (start) => nameShape.whole(start) || nameShape.whole(`${start}a`),
};

const SHAPES: Record<Exclude<OwnerKeyRule['type'], 'field'>, KeyShape> = { uid: uidShape, name: nameShape };

/** A field's value may be anything well-formed. */
const ANY_KEY: OwnerKeyShapes = { accepts: (key) => isWellFormedOwnerKey(key), whole: isWellFormedOwnerKey };

const cache = new WeakMap<readonly OwnerKind[], OwnerKeyShapes>();

/** The shapes the owner kinds' keys can take; built once per owners list and kept while it lives. */
export function ownerKeyShapes(owners: readonly OwnerKind[]): OwnerKeyShapes {
  let shapes = cache.get(owners);
  if (!shapes) cache.set(owners, (shapes = buildShapes(owners)));
  return shapes;
}

function buildShapes(owners: readonly OwnerKind[]): OwnerKeyShapes {
  if (owners.some((owner) => owner.key.type === 'field')) return ANY_KEY;
  const shapes = [...new Set(owners.map((owner) => SHAPES[owner.key.type as keyof typeof SHAPES]))];
  const [only] = shapes;
  const whole = only && shapes.length === 1 ? only.whole : (key: string) => shapes.some((s) => s.whole(key));
  const startOf = only && shapes.length === 1 ? only.startOf : (start: string) => shapes.some((s) => s.startOf(start));
  // A whole uid or name key is well-formed already: one test per key, the planner makes 100k.
  return {
    whole,
    accepts(key, rule) {
      const length = rule.type === 'name' ? rule.keyPrefixLength : undefined;
      if (length === undefined) return whole(key);
      if (!isWellFormedOwnerKey(key)) return false;
      // LiveKeyIndex compares the first L characters of both keys: a claimed key shorter than L
      // equals only a whole owner key that short; one of L or more, the start of any longer one.
      if (key.length < length) return whole(key);
      return startOf(key.length === length ? key : key.slice(0, length));
    },
  };
}
