// The chart's post-delete hook: once helm uninstall has removed the agents and their RBAC, take
// reaper's teardown finalizer off every owner, so no Topology or Sandbox is left that nobody can
// delete. Their runtime resources stay; a reinstalled reaper sweeps them as orphans.
//
// Node's own modules only (it runs in the reaper image, or anywhere with node >= 20). In a pod it
// uses the ServiceAccount's in-cluster credentials; REAPER_API_SERVER, REAPER_TOKEN_FILE and
// REAPER_CA_FILE point it elsewhere (tests run it from outside the cluster), and
// REAPER_OWNER_NAMESPACES (comma-separated) limits it to some namespaces; the hook leaves it unset.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

const FINALIZER = process.env.REAPER_FINALIZER || 'reaper.dev/teardown';
const GROUP_VERSION = 'reaper.dev/v1alpha1';
const RESOURCES = (process.env.REAPER_OWNER_RESOURCES || 'topologies,sandboxes').split(',').filter(Boolean);
const NAMESPACES = (process.env.REAPER_OWNER_NAMESPACES || '').split(',').filter(Boolean);
const SETTLE_SECONDS = Number(process.env.REAPER_SETTLE_SECONDS || '10');
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function apiServer() {
  if (process.env.REAPER_API_SERVER) return process.env.REAPER_API_SERVER.replace(/\/+$/, '');
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT || '443';
  if (!host) throw new Error('not in a pod (no KUBERNETES_SERVICE_HOST) and REAPER_API_SERVER is not set');
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const base = apiServer();
const ca = readFileSync(process.env.REAPER_CA_FILE || `${SA_DIR}/ca.crt`);
// Read for every call: a projected token is rotated while the pod runs.
const token = () => readFileSync(process.env.REAPER_TOKEN_FILE || `${SA_DIR}/token`, 'utf8').trim();

function call(method, path, body, contentType = 'application/json') {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = https.request(
      `${base}${path}`,
      {
        method,
        ca,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token()}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, json, text });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 30s`)));
    request.on('error', reject);
    if (payload) request.write(payload);
    request.end();
  });
}

function fail(what, response) {
  const message = response.json?.message ?? response.text.slice(0, 300);
  return new Error(`${what}: HTTP ${response.status}: ${message}`);
}

/** Every object of a resource (in every namespace, or in NAMESPACES), page by page; undefined when it is not served. */
async function listAll(resource) {
  const items = [];
  for (const prefix of NAMESPACES.length > 0 ? NAMESPACES.map((ns) => `namespaces/${ns}/`) : ['']) {
    let next = '';
    do {
      const query = `limit=250${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
      const response = await call('GET', `/apis/${GROUP_VERSION}/${prefix}${resource}?${query}`);
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw fail(`list ${resource}`, response);
      items.push(...(response.json.items ?? []));
      next = response.json.metadata?.continue ?? '';
    } while (next);
  }
  return items;
}

/** Removes the finalizer from one object; true when it was removed here. */
async function release(resource, object) {
  const { namespace, name } = object.metadata;
  const path = `/apis/${GROUP_VERSION}/namespaces/${namespace}/${resource}/${name}`;
  let current = object;
  for (let attempt = 0; attempt < 5; attempt++) {
    const finalizers = current.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return false;
    // The resourceVersion makes the patch fail on any change since the read: no finalizer another
    // controller just added is dropped.
    const response = await call(
      'PATCH',
      path,
      {
        metadata: {
          resourceVersion: current.metadata.resourceVersion,
          finalizers: finalizers.filter((f) => f !== FINALIZER),
        },
      },
      'application/merge-patch+json',
    );
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    if (response.status !== 409) throw fail(`patch ${resource} ${namespace}/${name}`, response);
    const fresh = await call('GET', path);
    if (fresh.status === 404) return false;
    if (fresh.status !== 200) throw fail(`get ${resource} ${namespace}/${name}`, fresh);
    current = fresh.json;
  }
  throw new Error(`${resource} ${namespace}/${name}: still conflicting after 5 attempts`);
}

async function pass() {
  let released = 0;
  for (const resource of RESOURCES) {
    const items = await listAll(resource);
    if (items === undefined) {
      console.log(`${resource}: not served (CRD removed): nothing to release`);
      continue;
    }
    for (const object of items) {
      if (await release(resource, object)) {
        released++;
        console.log(`released ${resource} ${object.metadata.namespace}/${object.metadata.name}`);
      }
    }
  }
  return released;
}

// Two passes: an agent still shutting down may have added the finalizer after the first.
let released = await pass();
if (SETTLE_SECONDS > 0) {
  await sleep(SETTLE_SECONDS * 1000);
  released += await pass();
}
console.log(`done: removed ${FINALIZER} from ${released} owner(s)`);
