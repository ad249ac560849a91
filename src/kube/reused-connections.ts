// Kubernetes API requests over kept-alive connections. client-node gives every request a new
// https.Agent (applySecurityAuthentication → createAgent), so each one opens a TCP connection and
// makes a TLS handshake of its own: on a busy node that is most of an owner read's time (about
// 90 ms of the fresh re-check before a reap, measured by the reaction benchmark). client-go keeps
// its connections alive; so does this, with one agent per set of TLS options: options that change
// (credentials read again from a rotated file) get an agent of their own.
//
// Only request/response calls go through applySecurityAuthentication; watches take their options
// from applyToFetchOptions and keep a connection of their own each, as before.
import http from 'node:http';
import https from 'node:https';
import type * as k8s from '@kubernetes/client-node';

/** The same configuration, but the requests of clients it makes reuse idle connections. */
export function withReusedConnections(kubeConfig: k8s.KubeConfig): k8s.KubeConfig {
  const agents = new KeptAliveAgents();
  const reusing = Object.create(kubeConfig) as k8s.KubeConfig;
  reusing.applySecurityAuthentication = async (context) => {
    await kubeConfig.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(agents.like(agent));
  };
  return reusing;
}

/**
 * Kept-alive agents standing in for the plain ones client-node makes, one per set of options. A
 * proxy's agent (a subclass) is passed through as it is: its options are not all in `options`.
 */
export class KeptAliveAgents {
  private kept: { readonly key: string; readonly agent: http.Agent } | undefined;

  like(fresh: http.Agent): http.Agent {
    const Plain =
      fresh.constructor === https.Agent ? https.Agent : fresh.constructor === http.Agent ? http.Agent : null;
    if (Plain === null) return fresh;
    const options = (fresh as http.Agent & { options: Record<string, unknown> }).options;
    const key = `${Plain === https.Agent ? 'https' : 'http'}|${optionsKey(options)}`;
    if (this.kept?.key === key) return this.kept.agent;
    // The agent of older options is dropped, not destroyed: requests in flight on it finish, and its
    // idle connections close when the server's idle timeout closes them.
    const agent = new Plain({ ...options, keepAlive: true });
    this.kept = { key, agent };
    return agent;
  }
}

/** The options as a string that differs whenever a value does (certificates compared by content). */
export function optionsKey(options: Readonly<Record<string, unknown>>): string {
  return Object.keys(options)
    .sort()
    .map((name) => `${name}=${valueKey(options[name])}`)
    .join(';');
}

function valueKey(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Buffer.isBuffer(value)) return `b:${value.toString('base64')}`;
  if (Array.isArray(value)) return `[${value.map(valueKey).join(',')}]`;
  if (typeof value === 'object') return `{${optionsKey(value as Record<string, unknown>)}}`;
  if (typeof value === 'function') return `f:${value.name}`;
  return `${typeof value}:${String(value)}`;
}
