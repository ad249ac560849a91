// One agent's own view of a policy: the conditions of its ReapNodeReport, looked up by type. The
// policy's own conditions are the fleet's (every live node's), so a test that shares the API server
// with other agents, or that is about one agent, reads that agent's report.
export interface NodeCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message?: string;
}

interface ReportLike {
  status?: Record<string, unknown>;
}

/** The conditions of a node report (none when there is no report yet), looked up by type. */
export function reportConditions(report: ReportLike | undefined): (type: string) => NodeCondition | undefined {
  const conditions = (report?.status?.conditions ?? []) as NodeCondition[];
  return (type) => conditions.find((c) => c.type === type);
}
