// What an error from the API server (or a watch) says, in the few ways callers need to ask.
import * as k8s from '@kubernetes/client-node';

/** The HTTP status of an API error, from client-node's ApiException or a watch's error. */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof k8s.ApiException) return err.code;
  const candidate = err as { statusCode?: unknown; code?: unknown } | null;
  if (typeof candidate?.statusCode === 'number') return candidate.statusCode;
  if (typeof candidate?.code === 'number') return candidate.code;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;

/** One line for logs and status messages; the API server's own message when it sent one. */
export function describeError(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body = err.body as unknown;
    const message = typeof body === 'string' ? messageOfStatusBody(body) : (body as { message?: string })?.message;
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  const code = statusCodeOf(err);
  const text = err instanceof Error ? err.message : String(err);
  return code !== undefined && !text.includes(String(code)) ? `HTTP ${code}: ${text}` : text;
}

function messageOfStatusBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a Status object: show the start of the body
  }
  return body.slice(0, 300);
}
