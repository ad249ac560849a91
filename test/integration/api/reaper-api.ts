// The reaper.dev API on the test environment's API server, as the API tests use it: clients,
// admission outcomes in a comparable form, and cleanup of everything a test created.
import * as k8s from '@kubernetes/client-node';
import { kubeConfig, uniqueName } from '../../support/engines.js';

export const group = 'reaper.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
export const applyPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

export type Stored = k8s.KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };

/** What admission did with an object: stored (with defaults) or rejected at these fields. */
export type Admission =
  | { accepted: true; object: Stored }
  | {
      accepted: false;
      code: number;
      /** Fields with an error, sorted. */
      fields: string[];
      /**
       * The API server skips every CEL rule of an object with schema errors that CEL depends on
       * (types, enums, bounds) and says so in a cause at field "<nil>". The parser reports everything.
       */
      rulesSkipped: boolean;
      message: string;
    };

export class ReaperApi {
  readonly kc = kubeConfig();
  readonly custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
  readonly core = this.kc.makeApiClient(k8s.CoreV1Api);
  private readonly policies = new Set<string>();
  private readonly reports = new Set<string>();
  private readonly namespaces = new Set<string>();

  policyName(prefix = 'policy'): string {
    const name = uniqueName(prefix);
    this.policies.add(name);
    return name;
  }

  async namespace(prefix = 'api'): Promise<string> {
    const name = uniqueName(prefix);
    await this.core.createNamespace({ body: { metadata: { name } } });
    this.namespaces.add(name);
    return name;
  }

  /** Creates a ReapPolicy (or only asks admission, with dryRun) with kubectl's strict field validation. */
  async createPolicy(body: Record<string, unknown>, dryRun = false): Promise<Admission> {
    const name = (body.metadata as { name: string }).name;
    if (!dryRun) this.policies.add(name);
    return admission(
      this.custom.createClusterCustomObject({
        group,
        version,
        plural: 'reappolicies',
        body,
        fieldValidation: 'Strict',
        ...(dryRun ? { dryRun: 'All' } : {}),
      }),
    );
  }

  async createOwner(plural: 'topologies' | 'sandboxes', namespace: string, body: Record<string, unknown>) {
    return admission(
      this.custom.createNamespacedCustomObject({ group, version, plural, namespace, body, fieldValidation: 'Strict' }),
    );
  }

  async getPolicy(name: string): Promise<Stored> {
    return (await this.custom.getClusterCustomObject({ group, version, plural: 'reappolicies', name })) as Stored;
  }

  /** Server-side apply of status under `fieldManager`, as reaper's agents write it. */
  async applyPolicyStatus(name: string, status: unknown, fieldManager: string): Promise<Stored> {
    return (await this.custom.patchClusterCustomObjectStatus(
      {
        group,
        version,
        plural: 'reappolicies',
        name,
        fieldManager,
        force: true,
        body: { apiVersion, kind: 'ReapPolicy', metadata: { name }, status },
      },
      applyPatch,
    )) as Stored;
  }

  /** Creates a ReapNodeReport as an agent does (server-side apply of metadata and spec). */
  async createNodeReport(name: string, spec: { policy: string; node: string }): Promise<Stored> {
    this.reports.add(name);
    return this.applyNodeReport(name, { spec });
  }

  async applyNodeReportStatus(name: string, status: unknown): Promise<Stored> {
    return this.applyNodeReport(name, { status });
  }

  /** Server-side apply as the agent (field manager "reaper") of a report's spec or its status. */
  private async applyNodeReport(name: string, part: { spec: unknown } | { status: unknown }): Promise<Stored> {
    const request = {
      group,
      version,
      plural: 'reapnodereports',
      name,
      fieldManager: 'reaper',
      force: true,
      body: { apiVersion, kind: 'ReapNodeReport', metadata: { name }, ...part },
    };
    const applied =
      'status' in part
        ? this.custom.patchClusterCustomObjectStatus(request, applyPatch)
        : this.custom.patchClusterCustomObject(request, applyPatch);
    return (await applied) as Stored;
  }

  async cleanup(): Promise<void> {
    for (const name of this.reports) {
      await this.custom
        .deleteClusterCustomObject({ group, version, plural: 'reapnodereports', name })
        .catch(() => undefined);
    }
    for (const name of this.policies) {
      await this.custom
        .deleteClusterCustomObject({ group, version, plural: 'reappolicies', name })
        .catch(() => undefined);
    }
    for (const name of this.namespaces) await this.core.deleteNamespace({ name }).catch(() => undefined);
  }
}

async function admission(request: Promise<unknown>): Promise<Admission> {
  try {
    return { accepted: true, object: (await request) as Stored };
  } catch (err) {
    if (!(err instanceof k8s.ApiException)) throw err;
    const body = JSON.parse(String(err.body)) as {
      message: string;
      details?: { causes?: { field?: string }[] };
    };
    // Strict field validation answers 400 and names unknown fields only in the message.
    const unknown = [...body.message.matchAll(/unknown field "([^"]+)"/g)].map((m) => m[1]!);
    const causes = (body.details?.causes ?? []).map((c) => c.field ?? '');
    const fields = [...new Set([...causes, ...unknown])].filter((f) => f !== '<nil>').sort();
    return { accepted: false, code: err.code, fields, rulesSkipped: causes.includes('<nil>'), message: body.message };
  }
}
