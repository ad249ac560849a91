// A client-side budget for Kubernetes API requests, as client-go's QPS and burst: a token bucket
// every request of the agent draws from, so no agent (and no fleet of them) floods the API server,
// whatever a sweep or a burst of owner changes asks of it. Watches are long-lived and draw nothing.
import type * as k8s from '@kubernetes/client-node';
import { TokenBucket } from 'limiter';

export interface RequestBudget {
  /** Requests a second, sustained. */
  readonly qps: number;
  /** Requests that may go at once after a quiet spell. */
  readonly burst: number;
}

/**
 * The same configuration, but every request made through a client it makes waits for a token.
 * client-node authenticates each request through applySecurityAuthentication, so that is where the
 * wait goes; everything else is the original configuration's.
 */
export function withRequestBudget(kubeConfig: k8s.KubeConfig, budget: RequestBudget): k8s.KubeConfig {
  const bucket = new TokenBucket({ bucketSize: budget.burst, tokensPerInterval: budget.qps, interval: 'second' });
  // Full at start, as client-go's: the first lists of a starting agent do not wait.
  bucket.content = budget.burst;
  const limited = Object.create(kubeConfig) as k8s.KubeConfig;
  limited.applySecurityAuthentication = async (context) => {
    await bucket.removeTokens(1);
    return kubeConfig.applySecurityAuthentication(context);
  };
  return limited;
}
