/**
 * Admin authentication for the dashboard, the JSON API and key management: CLAWBACK_ADMIN_TOKEN, presented as
 * `Authorization: Bearer TOKEN`, or once as `?token=TOKEN` in a browser. The latter sets a session cookie
 * (HttpOnly, SameSite=Strict, Path=/clawback/) and redirects to the same URL without the token, so the token does
 * not stay in the address bar or the history. The cookie holds HMAC(token, "session"), so it survives a gateway
 * restart and dies when the token changes. Every comparison is constant-time over fixed-length digests.
 *
 * With no token configured the admin routes are open: that is only allowed on a loopback bind (see
 * `checkBindSafety`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const SESSION_COOKIE = 'clawback_session';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('clawback-dashboard-session-v1').digest('base64url');
}

function cookie(req: IncomingMessage, name: string): string | null {
  const raw = req.headers.cookie;
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export type AdminCheck = 'ok' | 'redirected' | 'denied';

/**
 * Checks a request to an admin route. On "redirected" and "denied" the response has already been sent.
 * `browser` routes (the dashboard page) accept ?token=; API routes accept it too (scripts may use it), but only
 * a page request is redirected.
 */
export function checkAdmin(req: IncomingMessage, res: ServerResponse, token: string | null, { page = false }: { page?: boolean } = {}): AdminCheck {
  if (token === null) return 'ok';
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth) && same(auth.replace(/^Bearer\s+/i, ''), token)) return 'ok';
  const c = cookie(req, SESSION_COOKIE);
  if (c !== null && same(c, sessionValue(token))) return 'ok';
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams.get('token');
  if (q !== null && same(q, token)) {
    const setCookie = `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/clawback/`;
    if (page) {
      url.searchParams.delete('token');
      res.writeHead(303, { location: url.pathname + url.search, 'set-cookie': setCookie, 'cache-control': 'no-store' });
      res.end();
      return 'redirected';
    }
    res.setHeader('set-cookie', setCookie);
    return 'ok';
  }
  const body = JSON.stringify({
    type: 'error',
    error: { type: 'authentication_error', message: 'clawback admin routes need CLAWBACK_ADMIN_TOKEN: send "Authorization: Bearer TOKEN", or open the dashboard once with ?token=TOKEN' },
    request_id: null,
  });
  res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="clawback"', 'cache-control': 'no-store' });
  res.end(body);
  return 'denied';
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Throws when the gateway would expose its admin routes (and the real API key) beyond this machine without a token. */
export function checkBindSafety(host: string, token: string | null): void {
  if (token === null && !isLoopback(host)) {
    throw new Error(
      `refusing to listen on ${host} without CLAWBACK_ADMIN_TOKEN: the dashboard, the JSON API and key management would be open to the network. ` +
        'Set CLAWBACK_ADMIN_TOKEN, or bind to 127.0.0.1.',
    );
  }
}
