/**
 * When and how long to wait before retrying an upstream attempt. Retries happen only before any byte of the
 * answer reached the client, on 429, 529 and other 5xx statuses and on connection failures, never after a timeout
 * (a timed-out request may have been billed). The wait honours `retry-after-ms`, then `retry-after` (seconds or an
 * HTTP date), else jittered exponential backoff; `x-should-retry: false` vetoes. Bounded by a count and by the total
 * time since the first attempt.
 */
import type { RetryPolicy } from './options.js';

export type HeaderValue = string | string[] | undefined;
const first = (v: HeaderValue): string | undefined => (Array.isArray(v) ? v[0] : v);

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 529 || (status >= 500 && status <= 599);
}

/** The wait the upstream asked for, in ms, or null when it named none. */
export function retryAfterMs(headers: Readonly<Record<string, HeaderValue>>, now = Date.now()): number | null {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const ra = first(headers['retry-after']);
  if (ra === undefined) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.ceil(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The delay before the next attempt, or null when no retry should happen. `attempt` counts retries already made;
 * `elapsedMs` is the time since the first attempt started.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  headers: Readonly<Record<string, HeaderValue>> | null,
): number | null {
  if (attempt >= policy.maxRetries) return null;
  if (headers && first(headers['x-should-retry'])?.trim() === 'false') return null;
  const asked = headers ? retryAfterMs(headers) : null;
  const delay = asked ?? backoffMs(policy, attempt);
  if (elapsedMs + delay > policy.maxTotalMs) return null;
  return delay;
}
