// The name and labels of a ReapNodeReport, derived from its policy and node alone, so an agent finds
// its own report again after a restart without listing anything.
import { stableHash } from '../core/stable-hash.js';

export const POLICY_LABEL = 'reaper.dev/policy';
export const NODE_LABEL = 'reaper.dev/node';

const MAX_NAME = 253;
const MAX_LABEL_VALUE = 63;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * `<policy>.<node>` when the policy name has no dot (then the first dot tells the two apart) and the
 * whole fits in 253 characters; otherwise a prefix of the policy name without dots and a hash of
 * both. Readable names always hold a dot and hashed ones never do, so the two forms cannot collide.
 */
export function nodeReportName(policy: string, node: string): string {
  const readable = `${policy}.${node}`;
  if (!policy.includes('.') && readable.length <= MAX_NAME) return readable;
  const hash = stableHash(`${policy}\n${node}`);
  const prefix = policy.replace(/\./g, '-').slice(0, 40).replace(/-+$/, '');
  return `${prefix}-${hash}`;
}

/** A label value for `text`: itself when valid, else a readable prefix and a hash. */
export function labelValue(text: string): string {
  if (text.length <= MAX_LABEL_VALUE && LABEL_VALUE.test(text)) return text;
  const prefix = text
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .slice(0, MAX_LABEL_VALUE - 17)
    .replace(/^[^A-Za-z0-9]+/, '');
  const hash = stableHash(text);
  return prefix === '' ? hash : `${prefix}-${hash}`;
}

export function nodeReportLabels(policy: string, node: string): Record<string, string> {
  return { [POLICY_LABEL]: labelValue(policy), [NODE_LABEL]: labelValue(node) };
}
