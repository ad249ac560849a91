// TypeScript shapes of the reaper.dev/v1alpha1 objects, matching the schemas in ./schema.
import type { ReapReport } from '../core/report-types.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ReapPolicySpec {
  mode?: 'Reap' | 'DryRun';
  owners?: { apiVersion: string; kind: string; namespaces?: string[]; key?: string }[];
  match?: { label?: string; nameRegex?: string; keyPrefixLength?: number }[];
  resources?: {
    containers?: { enabled?: boolean; running?: 'Stop' | 'Skip'; stopTimeoutSeconds?: number };
    networks?: { enabled?: boolean };
    volumes?: { enabled?: boolean };
    ipLeases?: { enabled?: boolean; cniDir?: string; networks?: string[] };
  };
  timing?: { minAge?: string; gracePeriod?: string; interval?: string };
  limits?: { maxDeletionsPerSweep?: number; maxOrphanPercent?: number; concurrency?: number };
  teardown?: 'Sweep' | 'Finalizer';
}

export interface ReapPolicyStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastSweep?: ReapReport;
  summary?: { orphans: number; reaped: number; failed: number };
  nodes?: { node: string; lastSweep?: ReapReport; conditions?: Condition[] }[];
  totals?: { sweeps: number; reaped: number; failed: number; blocked: number };
}

export interface ReapPolicy {
  apiVersion: 'reaper.dev/v1alpha1';
  kind: 'ReapPolicy';
  metadata: ObjectMeta;
  spec: ReapPolicySpec;
  status?: ReapPolicyStatus;
}

export interface TopologySpec {
  networks?: { name: string; subnet?: string }[];
  nodes?: { name: string; image: string; networks?: string[] }[];
}

export interface SandboxSpec {
  image: string;
  command?: string[];
  network?: string;
  ports?: { containerPort: number; protocol?: 'TCP' | 'UDP' }[];
}

interface ExpectedFound {
  expected?: number;
  found?: number;
}

export interface OwnerStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  resources?: {
    containers?: ExpectedFound;
    networks?: ExpectedFound;
    volumes?: ExpectedFound;
    ipLeases?: ExpectedFound;
  };
  lastReap?: ReapReport;
}

export interface Topology {
  apiVersion: 'reaper.dev/v1alpha1';
  kind: 'Topology';
  metadata: ObjectMeta;
  spec: TopologySpec;
  status?: OwnerStatus;
}

export interface Sandbox {
  apiVersion: 'reaper.dev/v1alpha1';
  kind: 'Sandbox';
  metadata: ObjectMeta;
  spec: SandboxSpec;
  status?: OwnerStatus;
}
