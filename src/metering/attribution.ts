/**
 * Who a request is for: the client's API key (kept only as a salted hash and its last four characters),
 * `metadata.user_id`, the session (`x-clawback-session`, else Claude Code's `x-claude-code-session-id`) and the
 * tags of `x-clawback-tags: team=search,feature=faq`. Also reads clawback's other request headers. Shared by the
 * gateway and the SDK wrapper.
 */
import { hash as digest } from 'node:crypto';
import type { Attribution } from '../levers/lever.js';

/** Lower-cased request headers: node's IncomingHttpHeaders, or a plain object made from a fetch `Headers`. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export interface ClawbackHeaders {
  readonly tags: Readonly<Record<string, string>>;
  readonly session: string | null;
  /** False when `x-clawback-optimize: off` (or false/0/no). */
  readonly optimize: boolean;
  /** `x-clawback-defer` in ms, or null. */
  readonly deferMs: number | null;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The client's key from `x-api-key` or `Authorization: Bearer`, or null. */
export function clientKey(h: HeaderBag): string | null {
  const k = first(h['x-api-key']);
  if (k) return k.trim();
  const a = first(h['authorization']);
  if (a && /^bearer\s+/i.test(a)) return a.replace(/^bearer\s+/i, '').trim() || null;
  return null;
}

export function hashKey(key: string, salt: string): string {
  // One one-shot digest of the same bytes as hashing salt, NUL and key in turn (a Hash object per request cost more).
  return digest('sha256', `${salt}\u0000${key}`, 'hex').slice(0, 32);
}

/** hashKey with the salt bound and a small cache (clients reuse a handful of keys; the hash is per request). */
export function keyHasher(salt: string, max = 1024): (key: string) => string {
  const cache = new Map<string, string>();
  return (key) => {
    let h = cache.get(key);
    if (h === undefined) {
      if (cache.size >= max) cache.clear();
      h = hashKey(key, salt);
      cache.set(key, h);
    }
    return h;
  };
}

export function last4(key: string): string {
  return key.slice(-4);
}

/** `team=search,feature=faq` -> {team: "search", feature: "faq"}; a bare word becomes a tag with value "". */
export function parseTags(v: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!v) return tags;
  for (const part of v.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    const k = (eq < 0 ? p : p.slice(0, eq)).trim();
    if (k) tags[k] = eq < 0 ? '' : p.slice(eq + 1).trim();
  }
  return tags;
}

/** `1h`, `30m`, `90s`, `500ms`, or a bare number of seconds -> ms; null when absent or unreadable. */
export function parseDuration(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  return Math.round(n * mult);
}

export function readClawbackHeaders(h: HeaderBag): ClawbackHeaders {
  const opt = first(h['x-clawback-optimize'])?.trim().toLowerCase();
  return {
    tags: parseTags(first(h['x-clawback-tags'])),
    session: first(h['x-clawback-session'])?.trim() || first(h['x-claude-code-session-id'])?.trim() || null,
    optimize: !(opt === 'off' || opt === 'false' || opt === '0' || opt === 'no'),
    deferMs: parseDuration(first(h['x-clawback-defer'])),
  };
}

/** `metadata.user_id` of a Messages body (Claude Code sends a JSON string there; it is kept as sent). */
export function userIdOf(body: Readonly<Record<string, unknown>> | null): string | null {
  const md = body?.['metadata'];
  if (typeof md !== 'object' || md === null) return null;
  const u = (md as Record<string, unknown>)['user_id'];
  return typeof u === 'string' && u ? u : null;
}

export function attribute(keyHash: string | null, body: Readonly<Record<string, unknown>> | null, ch: ClawbackHeaders): Attribution {
  return { keyHash, userId: userIdOf(body), sessionId: ch.session, tags: ch.tags };
}
