// One agent's own view of a policy: its status.nodes[] entry. Every `reaper run` on the same API
// server sweeps every policy and the policy-wide conditions are whoever swept last, so a test that
// shares the API server with other tests' controllers reads its own agent's entry.
export interface NodeCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message?: string;
}

interface PolicyLike {
  status?: Record<string, unknown>;
}

/** The conditions of `node`'s entry, looked up by type. */
export function nodeConditions(policy: PolicyLike, node: string): (type: string) => NodeCondition | undefined {
  const nodes = (policy.status?.nodes ?? []) as { node: string; conditions?: NodeCondition[] }[];
  const conditions = nodes.find((n) => n.node === node)?.conditions ?? [];
  return (type) => conditions.find((c) => c.type === type);
}
