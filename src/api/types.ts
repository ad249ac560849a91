// TypeScript shapes of the reaper.dev/v1alpha1 objects, matching the schemas in ./schema (unit
// tests validate fully populated objects of these types against the schemas).
import type { ReapMode, RunningContainerAction, TeardownMode } from '../core/policy.js';
import type { ReapReport, ReportKind } from '../core/report-types.js';

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

/** Totals of one sweep across kinds: what kubectl get shows. */
export interface SweepTotals {
  orphans: number;
  reaped: number;
  failed: number;
}

/** Cumulative counts over sweeps. */
export interface SweepCounts {
  sweeps?: number;
  reaped?: number;
  failed?: number;
  blocked?: number;
}

export type ProblemReason = 'Blocked' | 'Degraded' | 'Stale' | 'RemovalsFailed' | 'OldGeneration' | 'NotSwept';

/** A node that is not Ready for a policy, in the policy's fleet summary. */
export interface FleetProblem {
  node: string;
  reason: ProblemReason;
  message: string;
}

export interface FleetStatus {
  nodes: number;
  ready: number;
  blocked: number;
  degraded: number;
  stale: number;
  problems: FleetProblem[];
  problemsOmitted: number;
}

/** One resource a node reaped, in the policy's status.lastReaps. */
export interface LastReap {
  node: string;
  finishTime: string;
  kind: ReportKind;
  name: string;
  ownerKey?: string;
}

/** The fleet summary, written by the one summary writer. */
export interface ReapPolicyStatus {
  observedGeneration?: number;
  /** Ready, Blocked, Degraded, ClaimsOverlap, Stalled. */
  conditions?: Condition[];
  lastSweepTime?: string;
  summary?: Partial<SweepTotals>;
  fleet?: FleetStatus;
  lastReaps?: LastReap[];
  totals?: SweepCounts;
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
  /** Where the found resources are: the nodes that hold most, capped. */
  foundOnNodes?: NodeResourceCounts[];
  /** Nodes holding some that did not fit in foundOnNodes. */
  foundOnNodesOmitted?: number;
  /** Written when reaper tore the owner down through its finalizer. */
  lastReap?: ReapReport;
}

/** What an owner holds on one node. */
export interface NodeResourceCounts extends Record<ReportKind, number> {
  node: string;
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

// ---- ReapNodeReport

export type ResourceCounts = Record<ReportKind, number>;

/** What one owner key claims on one node. */
export interface OwnerCounts extends ResourceCounts {
  key: string;
  /** The key is a prefix (a name rule's keyPrefixLength): it stands for every owner key starting with it. */
  keyPrefixLength?: number;
}

export interface ReapNodeReportSpec {
  policy: string;
  node: string;
}

export interface ReapNodeReportStatus {
  observedGeneration?: number;
  lastHeartbeatTime?: string;
  conditions?: Condition[];
  lastSweep?: ReapReport;
  summary?: SweepTotals;
  totals?: SweepCounts;
  owners?: OwnerCounts[];
  ownersOmitted?: number;
  omittedCounts?: ResourceCounts;
  heldWaves?: HeldWaveRecord[];
}

/** A held wave of owner deletions as a node's report keeps it across restarts. */
export interface HeldWaveRecord {
  approvalId: string;
  owners: number;
  firstTime: string;
  lastTime: string;
  ownerKeys: string[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
  controller?: boolean;
}

export interface ReapNodeReport {
  apiVersion: 'reaper.dev/v1alpha1';
  kind: 'ReapNodeReport';
  metadata: ObjectMeta & { ownerReferences?: OwnerReference[] };
  spec: ReapNodeReportSpec;
  status?: ReapNodeReportStatus;
}
