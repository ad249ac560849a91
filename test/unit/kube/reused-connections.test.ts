import http from 'node:http';
import https from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { KeptAliveAgents, optionsKey, withReusedConnections } from '../../../src/kube/reused-connections.js';

type Context = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];

/** A request context as client-node's generated clients hand it over: it carries an agent. */
function requestContext(): { context: Context; agent: () => http.Agent | undefined } {
  const context = {
    agent: undefined as http.Agent | undefined,
    setAgent(agent: http.Agent) {
      context.agent = agent;
    },
    getAgent() {
      return context.agent;
    },
  };
  return { context: context as unknown as Context, agent: () => context.agent };
}

/** A configuration that, like client-node's, gives every request a new agent with these options. */
function configMaking(options: () => https.AgentOptions) {
  const config = {
    currentContext: 'test',
    applySecurityAuthentication: (context: Context) => {
      context.setAgent(new https.Agent(options()));
      return Promise.resolve();
    },
  };
  return config as unknown as k8s.KubeConfig;
}

async function agentOf(config: k8s.KubeConfig): Promise<http.Agent> {
  const { context, agent } = requestContext();
  await config.applySecurityAuthentication(context);
  return agent()!;
}

test('requests with the same options share one kept-alive agent', async () => {
  const reusing = withReusedConnections(configMaking(() => ({ ca: Buffer.from('ca'), cert: Buffer.from('cert') })));
  const first = await agentOf(reusing);
  expect(await agentOf(reusing)).toBe(first);
  expect((first as http.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
  expect(first).toBeInstanceOf(https.Agent);
  expect(reusing.currentContext).toBe('test');
});

test('options that change (a rotated certificate) get an agent of their own', async () => {
  let cert = 'one';
  const reusing = withReusedConnections(configMaking(() => ({ cert: Buffer.from(cert), rejectUnauthorized: true })));
  const first = await agentOf(reusing);
  cert = 'two';
  const second = await agentOf(reusing);
  expect(second).not.toBe(first);
  expect((second as https.Agent & { options: https.AgentOptions }).options.cert).toEqual(Buffer.from('two'));
  expect(await agentOf(reusing)).toBe(second);
});

test("a proxy's agent (a subclass) is passed through untouched", () => {
  class ProxyAgent extends https.Agent {}
  const proxy = new ProxyAgent();
  expect(new KeptAliveAgents().like(proxy)).toBe(proxy);
});

test('plain http agents are kept alive too', () => {
  const agents = new KeptAliveAgents();
  const kept = agents.like(new http.Agent({}));
  expect(kept).toBeInstanceOf(http.Agent);
  expect(kept).not.toBeInstanceOf(https.Agent);
  expect(agents.like(new http.Agent({}))).toBe(kept);
  expect(agents.like(new https.Agent({}))).not.toBe(kept);
});

test('the options key tells values apart by content', () => {
  expect(optionsKey({ ca: Buffer.from('a') })).toBe(optionsKey({ ca: Buffer.from('a') }));
  expect(optionsKey({ ca: Buffer.from('a') })).not.toBe(optionsKey({ ca: Buffer.from('b') }));
  expect(optionsKey({ ca: [Buffer.from('a')] })).not.toBe(optionsKey({ ca: Buffer.from('a') }));
  expect(optionsKey({ timeout: 1 })).not.toBe(optionsKey({ timeout: '1' }));
  expect(optionsKey({ a: 1, b: 2 })).toBe(optionsKey({ b: 2, a: 1 }));
});
