// ReapPolicy object (from the cluster or a YAML file) -> the validated, defaulted internal Policy.
// Every problem is returned at once with its field path; nothing a user writes can make reaper
// hang (regexes are RE2: linear time, no backreferences) or widen what it deletes.
import { RE2JS } from 're2js';
import type { MatchRule, OwnerKeyRule, OwnerKind, Policy } from '../core/policy.js';
import { APPROVE_SWEEP_ANNOTATION } from '../core/policy.js';
import { parseDuration } from './duration.js';
import type { Problem } from './problems.js';
import type { DefaultedReapPolicySpec, MatchRuleSpec } from './types.js';
import { validateReapPolicy } from './validate-policy.js';
import { parseYamlDocument } from './yaml-document.js';

export type ParseResult = { ok: true; policy: Policy } | { ok: false; problems: Problem[] };

/** Approval ids are short hashes; anything longer is not one and approves nothing. */
const MAX_APPROVAL_LENGTH = 64;

export function parsePolicy(input: unknown): ParseResult {
  const validation = validateReapPolicy(input);
  if (!validation.ok) return validation;
  const { metadata, spec } = validation.object;
  const problems: Problem[] = [];
  const match = spec.match.map((rule, i) => matchRule(rule, `spec.match[${i}]`, problems));
  if (problems.length > 0) return { ok: false, problems };

  const approved = metadata.annotations?.[APPROVE_SWEEP_ANNOTATION];
  return {
    ok: true,
    policy: {
      name: metadata.name,
      generation: metadata.generation ?? 0,
      mode: spec.mode,
      owners: spec.owners.map(ownerKind),
      match: match.filter((m): m is MatchRule => m !== undefined),
      resources: spec.resources,
      timing: timingMs(spec.timing),
      limits: limitsOf(spec.limits),
      teardown: spec.teardown,
      ...(typeof approved === 'string' && approved.length <= MAX_APPROVAL_LENGTH ? { approvedSweep: approved } : {}),
    },
  };
}

/** Parses YAML text holding exactly one ReapPolicy; duplicate keys and bad YAML are problems too. */
export function parsePolicyYaml(text: string): ParseResult {
  const document = parseYamlDocument(text, 'a ReapPolicy');
  return document.ok ? parsePolicy(document.value) : document;
}

function matchRule(rule: MatchRuleSpec, path: string, problems: Problem[]): MatchRule | undefined {
  // Validation has made sure exactly one of label and nameRegex is set and that nameRegex compiles.
  if (rule.label !== undefined) return { type: 'label', label: rule.label };
  const source = rule.nameRegex!;
  const regex = RE2JS.compile(source);
  // The CRD can only look for the text "(?<key>"; the compiled pattern tells for sure.
  if (!Object.prototype.hasOwnProperty.call(regex.namedGroups(), 'key')) {
    problems.push({ path: `${path}.nameRegex`, message: 'needs a named group "key", e.g. (?<key>[0-9a-f]{8})' });
    return undefined;
  }
  return {
    type: 'name',
    regex,
    source,
    ...(rule.keyPrefixLength !== undefined ? { keyPrefixLength: rule.keyPrefixLength } : {}),
  };
}

function ownerKind(owner: DefaultedReapPolicySpec['owners'][number]): OwnerKind {
  return { apiVersion: owner.apiVersion, kind: owner.kind, namespaces: owner.namespaces, key: ownerKeyRule(owner.key) };
}

function ownerKeyRule(key: string): OwnerKeyRule {
  if (key === 'uid' || key === 'name') return { type: key };
  return { type: 'field', path: key.slice(1).split('.') };
}

function limitsOf(limits: DefaultedReapPolicySpec['limits']): Policy['limits'] {
  const { massDeletionWindow, ...counts } = limits;
  return { ...counts, massDeletionWindowMs: parseDuration(massDeletionWindow)! };
}

/** Validation has checked every duration's form and bounds. */
function timingMs(timing: DefaultedReapPolicySpec['timing']): Policy['timing'] {
  const ms = (text: string) => parseDuration(text)!;
  return { minAgeMs: ms(timing.minAge), gracePeriodMs: ms(timing.gracePeriod), intervalMs: ms(timing.interval) };
}
