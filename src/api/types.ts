// TypeScript shapes of the reaper.dev/v1alpha1 objects, matching the schemas in ./schema (unit
// tests validate fully populated objects of these types against the schemas).
import type { ReapMode, RunningContainerAction, TeardownMode } from '../core/policy.js';
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

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

// ---- ReapPolicy spec, as written (every field but the owner kind's identity may be left out)

export interface OwnerKindSpec {
  apiVersion: string;
  kind: string;
  /** Empty or absent: all namespaces. */
  namespaces?: string[];
  /** `uid` (default), `name`, or a field path such as `.spec.labId`. */
  key?: string;
}

/** Exactly one of label or nameRegex. */
export interface MatchRuleSpec {
  label?: string;
  nameRegex?: string;
  keyPrefixLength?: number;
}

export interface ReapPolicySpec {
  mode?: ReapMode;
  owners?: OwnerKindSpec[];
  match?: MatchRuleSpec[];
  resources?: {
    containers?: { enabled?: boolean; running?: RunningContainerAction; stopTimeoutSeconds?: number };
    networks?: { enabled?: boolean };
    volumes?: { enabled?: boolean };
    ipLeases?: { enabled?: boolean; cniDir?: string; networks?: string[] };
  };
  timing?: { minAge?: string; gracePeriod?: string; interval?: string };
  limits?: {
    maxDeletionsPerSweep?: number;
    maxOrphanPercent?: number;
    minOwnersToBlock?: number;
    massDeletionWindow?: string;
    concurrency?: number;
  };
  teardown?: TeardownMode;
}

/** The spec once the API server (or the offline validator) has filled in the defaults. */
export interface DefaultedReapPolicySpec {
  mode: ReapMode;
  owners: Required<OwnerKindSpec>[];
  match: MatchRuleSpec[];
  resources: {
    containers: { enabled: boolean; running: RunningContainerAction; stopTimeoutSeconds: number };
    networks: { enabled: boolean };
    volumes: { enabled: boolean };
    ipLeases: { enabled: boolean; cniDir: string; networks: string[] };
  };
  timing: { minAge: string; gracePeriod: string; interval: string };
  limits: {
    maxDeletionsPerSweep: number;
    maxOrphanPercent: number;
    minOwnersToBlock: number;
    massDeletionWindow: string;
    concurrency: number;
  };
  teardown: TeardownMode;
}

// ---- ReapPolicy status

/** A ReapReport without its lists: what each agent keeps in its status.nodes[] entry. */
export type SweepSummary = Pick<
  ReapReport,
  'sweepId' | 'mode' | 'startTime' | 'finishTime' | 'outcome' | 'liveOwners' | 'counts' | 'approvalId'
> & { errorCount: number };

/** One agent's entry of status.nodes, server-side applied by that agent alone. */
export interface NodeStatus {
  node: string;
  lastHeartbeatTime?: string;
  lastSweep?: SweepSummary;
  conditions?: Condition[];
}

/** Totals of one sweep across kinds: what kubectl get shows. */
export interface SweepTotals {
  orphans: number;
  reaped: number;
  failed: number;
}

export interface ReapPolicyStatus {
  observedGeneration?: number;
  /** Ready, Blocked, Degraded. */
  conditions?: Condition[];
  lastSweep?: ReapReport;
  summary?: Partial<SweepTotals>;
  nodes?: NodeStatus[];
  totals?: { sweeps?: number; reaped?: number; failed?: number; blocked?: number };
}

export interface ReapPolicy<Spec = ReapPolicySpec> {
  apiVersion: 'reaper.dev/v1alpha1';
  kind: 'ReapPolicy';
  metadata: ObjectMeta;
  spec: Spec;
  status?: ReapPolicyStatus;
}

// ---- Owners

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

export interface ExpectedFound {
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
  /** Written when reaper tore the owner down through its finalizer. */
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
