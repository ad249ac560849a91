// Keeps the runtime view fresh between sweeps: one Docker listing per policy and interval, so what
// owners hold on this node (its ReapNodeReports) follows the runtime while an idle agent does next to
// nothing. Each snapshot the view adopts reaches the node reporter through the view's listener.
import type { Policy } from '../src/core/policy.js';
import { describeError } from '../src/kube/api-errors.js';
import type { InformerTarget } from '../src/kube/informer.js';
import type { Logger } from '../src/observe/logger.js';

export interface RuntimeRefreshOptions {
  /** The owner kinds that have a status reaper keeps (Topology, Sandbox): only their policies are refreshed. */
  readonly isStatusKind: (target: InformerTarget) => boolean;
  readonly validPolicies: () => readonly Policy[];
  /** Refreshes the runtime view for a policy. */
  readonly refresh: (policy: Policy) => Promise<unknown>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

export class RuntimeRefresh {
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private readonly logger: Logger;

  constructor(private readonly options: RuntimeRefreshOptions) {
    this.logger = options.logger.child('runtime-refresh');
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refreshAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refreshAll(): Promise<void> {
    // A listing slower than the interval (a huge or hung engine) does not pile up behind itself.
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      for (const policy of this.options.validPolicies()) {
        if (!policy.owners.some((o) => this.options.isStatusKind(o))) continue;
        try {
          await this.options.refresh(policy);
        } catch (err) {
          this.logger.debug('runtime listing for node reports failed', {
            policy: policy.name,
            error: describeError(err),
          });
        }
      }
    } finally {
      this.refreshing = false;
    }
  }
}
