// Per-request options for client-node's generated APIs (their middleware is Observable-style).
import * as k8s from '@kubernetes/client-node';

/** Aborts the request after `ms`, so a hung connection cannot stall a loop that has a deadline. */
export function withTimeout(ms: number, options?: k8s.ConfigurationOptions): k8s.ConfigurationOptions {
  const abortAfter: k8s.ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(Math.max(1, Math.round(ms))));
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return {
    ...options,
    middleware: [...(options?.middleware ?? []), abortAfter],
    middlewareMergeStrategy: 'append',
  };
}

export const mergePatch = (): k8s.ConfigurationOptions =>
  k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
