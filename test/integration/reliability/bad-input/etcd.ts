// Objects the API server would refuse today, stored anyway: written straight into etcd, as an
// object stored under an older, looser schema or brought back by a restore would be. The API server
// serves them (and its watch delivers them) without validating again.
import { requiredEnv } from '../../../support/engines.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function etcd(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${requiredEnv('REAPER_ETCD_URL')}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Rewrites a stored cluster-scoped custom object in place: `change` edits the stored JSON. */
export async function rewriteStored(
  group: string,
  plural: string,
  name: string,
  change: (object: Record<string, unknown> & { metadata: Record<string, unknown> }) => void,
): Promise<void> {
  const key = b64(`/registry/${group}/${plural}/${name}`);
  const range = (await etcd('/v3/kv/range', { key })) as { kvs?: { value: string; mod_revision: string }[] };
  const stored = range.kvs?.[0];
  if (!stored) throw new Error(`etcd holds no ${group}/${plural}/${name}`);
  const object = JSON.parse(Buffer.from(stored.value, 'base64').toString('utf8')) as Parameters<typeof change>[0];
  change(object);
  // Only if nobody wrote it since it was read (a controller's status write, say); else try again.
  const result = (await etcd('/v3/kv/txn', {
    compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: stored.mod_revision }],
    success: [{ request_put: { key, value: b64(JSON.stringify(object)) } }],
  })) as { succeeded?: boolean };
  if (!result.succeeded) return rewriteStored(group, plural, name, change);
}
