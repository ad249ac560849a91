import { jest } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { withRequestBudget } from '../../../src/kube/request-budget.js';

/** A configuration that records each request it authenticates, and what else it answers itself. */
function recordingConfig() {
  const authenticated: string[] = [];
  const config = {
    currentContext: 'test',
    applySecurityAuthentication: async (context: { url: string }) => {
      authenticated.push(context.url);
    },
    getCurrentCluster: () => ({ server: 'https://127.0.0.1:6443' }),
  };
  return { authenticated, config: config as unknown as k8s.KubeConfig };
}

const request = (limited: k8s.KubeConfig, url: string) =>
  limited.applySecurityAuthentication({ url } as unknown as Parameters<
    k8s.KubeConfig['applySecurityAuthentication']
  >[0]);

afterEach(() => jest.useRealTimers());

test('a burst goes at once, then requests wait for the sustained rate, in order', async () => {
  jest.useFakeTimers({ now: 0 });
  const { authenticated, config } = recordingConfig();
  const limited = withRequestBudget(config, { qps: 2, burst: 3 });
  const done = ['a', 'b', 'c', 'd', 'e'].map((url) => request(limited, url));
  await jest.advanceTimersByTimeAsync(0);
  expect(authenticated).toEqual(['a', 'b', 'c']);
  await jest.advanceTimersByTimeAsync(500);
  expect(authenticated).toEqual(['a', 'b', 'c', 'd']);
  await jest.advanceTimersByTimeAsync(500);
  expect(authenticated).toEqual(['a', 'b', 'c', 'd', 'e']);
  await Promise.all(done);
});

test('everything else is the original configuration’s', () => {
  const { config } = recordingConfig();
  const limited = withRequestBudget(config, { qps: 1, burst: 1 });
  expect(limited.currentContext).toBe('test');
  expect(limited.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  expect(config.applySecurityAuthentication).not.toBe(limited.applySecurityAuthentication);
});
