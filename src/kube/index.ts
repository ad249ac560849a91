// The Kubernetes plumbing the controller process is assembled from.
export * from './api-errors.js';
export * from './backoff.js';
export * from './conditions.js';
export * from './discovery.js';
export * from './event-recorder.js';
export * from './informer.js';
export * from './informer-set.js';
export * from './leader-election.js';
export * from './lease-decision.js';
export * from './request-options.js';
export * from './run-workers.js';
export * from './status-apply.js';
export * from './timers.js';
export * from './workqueue.js';
