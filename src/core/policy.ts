// The validated, defaulted policy the core works with. src/api/parse-policy.ts builds it from a
// ReapPolicy object; nothing else constructs one from untrusted input.
import type { RE2JS } from 're2js';

export type ReapMode = 'Reap' | 'DryRun';
export type RunningContainerAction = 'Stop' | 'Skip';
export type TeardownMode = 'Sweep' | 'Finalizer';

/** How an owner object is turned into its owner key. */
export type OwnerKeyRule =
  | { readonly type: 'uid' }
  | { readonly type: 'name' } // `namespace/name` (just `name` for cluster-scoped owners)
  | { readonly type: 'field'; readonly path: readonly string[] }; // e.g. `.spec.labId` -> ['spec','labId']

export interface OwnerKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Empty: every namespace. */
  readonly namespaces: readonly string[];
  readonly key: OwnerKeyRule;
}

export type MatchRule =
  | {
      readonly type: 'label';
      /** The label whose value is the owner key, e.g. `reaper.dev/owner-uid`. */
      readonly label: string;
    }
  | {
      readonly type: 'name';
      /** Linear-time regex with a named group `key`, applied to the resource name. */
      readonly regex: RE2JS;
      readonly source: string;
      /** When set, the extracted key is compared with this many leading characters of owner keys. */
      readonly keyPrefixLength?: number;
    };

export interface Policy {
  readonly name: string;
  readonly generation: number;
  readonly mode: ReapMode;
  readonly owners: readonly OwnerKind[];
  readonly match: readonly MatchRule[];
  readonly resources: {
    readonly containers: {
      readonly enabled: boolean;
      readonly running: RunningContainerAction;
      readonly stopTimeoutSeconds: number;
    };
    readonly networks: { readonly enabled: boolean };
    readonly volumes: { readonly enabled: boolean };
    readonly ipLeases: {
      readonly enabled: boolean;
      /** host-local's dataDir, e.g. /var/lib/cni/networks. */
      readonly cniDir: string;
      /** CNI networks (subdirectories) the policy manages; dangling leases elsewhere are foreign. */
      readonly networks: readonly string[];
    };
  };
  readonly timing: {
    readonly minAgeMs: number;
    readonly gracePeriodMs: number;
    readonly intervalMs: number;
  };
  readonly limits: {
    readonly maxDeletionsPerSweep: number;
    readonly maxOrphanPercent: number;
    /** The guard never blocks fewer owners than this (blast-radius.ts). */
    readonly minOwnersToBlock: number;
    /** Owner deletions this close together are one wave (deletion-wave.ts). */
    readonly massDeletionWindowMs: number;
    readonly concurrency: number;
  };
  readonly teardown: TeardownMode;
  /** Sweep id an operator approved through the `reaper.dev/approve-sweep` annotation. */
  readonly approvedSweep?: string;
  /**
   * Other policies that may claim the same resources with other owners (owner-scope.ts rivalsAmong):
   * a resource one of them claims and reads differently is not this policy's to judge.
   */
  readonly rivals?: readonly Rival[];
}

/** Another policy whose claims may overlap this one's: what it takes to tell how it reads a resource. */
export type Rival = Pick<Policy, 'name' | 'owners' | 'match'>;

export const OWNER_UID_LABEL = 'reaper.dev/owner-uid';
export const OWNER_KIND_LABEL = 'reaper.dev/owner-kind';
export const OWNER_NAMESPACE_LABEL = 'reaper.dev/owner-namespace';
export const OWNER_NAME_LABEL = 'reaper.dev/owner-name';
export const KEEP_LABEL = 'reaper.dev/keep';
export const APPROVE_SWEEP_ANNOTATION = 'reaper.dev/approve-sweep';
