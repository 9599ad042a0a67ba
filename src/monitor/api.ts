/**
 * The monitor's HTTP routes, all behind the admin token (admin-auth.ts):
 *
 *   GET    /clawback/                    the dashboard (one self-contained page, no CDN)
 *   GET    /clawback/api/summary         {"totals": {...}, spend, cache, savings_by_lever, by_model, by_key, by_tag, by_session, hourly}
 *                                        ?since=&until= (ISO date or epoch ms) narrow the totals and groups
 *   GET    /clawback/api/requests        {"requests": [...]} newest first; ?limit= (default 50, max 1000), ?since=, ?until=
 *   GET    /clawback/api/budgets         {"budgets": [...]} each with limit, spent, in flight, remaining, burn-down
 *   GET    /clawback/api/alerts          {"alerts": [...]} raised so far, newest first
 *   GET    /clawback/api/events          the live feed (server-sent events: "request", "alert")
 *   GET    /clawback/api/keys            {"keys": [...]} virtual keys (never the keys themselves)
 *   POST   /clawback/api/keys            {"name", "tags"?: {k: v}, "budget"?: "50/month"} -> {"key", ...} (shown once)
 *   DELETE /clawback/api/keys/NAME       revoke
 *   GET    /metrics                      Prometheus text; needs the token too when CLAWBACK_ADMIN_TOKEN is set
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { picoToUsd } from '../pricing/money.js';
import type { UsageRecord, UsageStore } from '../store/record.js';
import type { Route } from '../gateway/hooks.js';
import { checkAdmin } from './admin-auth.js';
import type { AlertCenter } from './alerts.js';
import { parseBudgetShorthand } from './budget-config.js';
import type { BudgetLedger } from './budget-ledger.js';
import type { BurnTracker } from './budget-burn.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import type { LiveFeed } from './feed.js';
import { KeyError, type KeyStore, type VirtualKey } from './keys.js';
import type { MonitorMetrics } from './metrics.js';
import { periodStart } from './periods.js';
import { requestRow, summarize, type Rollup } from './summary.js';

export interface ApiDeps {
  readonly store: UsageStore;
  readonly ledger: BudgetLedger;
  readonly feed: LiveFeed;
  readonly metrics: MonitorMetrics;
  readonly alerts: AlertCenter;
  readonly keys: KeyStore;
  readonly adminToken: string | null;
  readonly keyName: (r: UsageRecord) => string;
  /** Called after a key was created or revoked through the API (budgets of keys change). */
  readonly onKeysChanged: () => void;
  readonly now: () => number;
  /** The live summary of every record (seeded from the store, fed by the gateway). */
  readonly live: Rollup;
  readonly burn: BurnTracker;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function apiError(res: ServerResponse, status: number, type: string, message: string): void {
  json(res, status, { type: 'error', error: { type, message }, request_id: null });
}

class BadQuery extends Error {}

function timeParam(u: URL, name: string): number | undefined {
  const v = u.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new BadQuery(`?${name}= must be an ISO date or epoch milliseconds (got "${v}")`);
  return n;
}

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw new BadQuery('request body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new BadQuery('request body is not valid JSON');
  }
}

const CreateKeyBody = z
  .object({ name: z.string().min(1), tags: z.record(z.string(), z.string()).default({}), budget: z.string().optional() })
  .strict();

export function keyJson(k: VirtualKey) {
  return {
    name: k.name,
    last4: k.last4,
    tags: k.tags,
    budget: k.budget ? { limit_usd: picoToUsd(k.budget.limitPico), period: k.budget.period } : null,
    created_at: new Date(k.createdAt).toISOString(),
    revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}

export function monitorRoutes(d: ApiDeps): Route[] {
  const page = (req: IncomingMessage, res: ServerResponse): void => {
    if (checkAdmin(req, res, d.adminToken, { page: true }) !== 'ok') return;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    res.end(DASHBOARD_HTML);
  };

  const summary = async (u: URL, res: ServerResponse): Promise<void> => {
    const now = d.now();
    const since = timeParam(u, 'since');
    const until = timeParam(u, 'until');
    if (since === undefined && until === undefined) return json(res, 200, d.live.snapshot({ now }));
    const need = Math.min(since ?? Number.POSITIVE_INFINITY, periodStart('month', now), now - 24 * 3_600_000);
    await d.store.flush();
    const records = await d.store.query(since === undefined ? {} : { since: need });
    const inRange = (r: UsageRecord): boolean => (since === undefined || r.startedAt >= since) && (until === undefined || r.startedAt < until);
    json(res, 200, summarize(records, inRange, { now, keyName: d.keyName }));
  };

  const requests = async (u: URL, res: ServerResponse): Promise<void> => {
    const lim = u.searchParams.get('limit');
    if (lim !== null && !/^\d+$/.test(lim)) throw new BadQuery(`?limit= must be a whole number (got "${lim}")`);
    const limit = Math.min(1000, Math.max(1, lim === null ? 50 : Number(lim)));
    const since = timeParam(u, 'since');
    const until = timeParam(u, 'until');
    await d.store.flush();
    const rows = await d.store.query({ newestFirst: true, limit, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) });
    json(res, 200, { requests: rows.map((r) => requestRow(r, d.keyName)) });
  };

  const budgets = (res: ServerResponse): void => {
    const out = d.ledger.status().map((s) => {
      const burn = d.burn.points(s);
      return {
        name: s.rule.name,
        scope: s.rule.scope.kind === 'global' ? 'global' : s.rule.scope.kind === 'key' ? `key:${s.rule.scope.label}` : `tag:${s.rule.scope.tag}=${s.rule.scope.value}`,
        period: s.rule.period,
        period_key: s.periodKey,
        period_start: new Date(s.periodStart).toISOString(),
        period_end: s.periodEnd === null ? null : new Date(s.periodEnd).toISOString(),
        mode: s.rule.mode,
        action: s.rule.action,
        demote_to: s.rule.demoteTo,
        limit_usd: picoToUsd(s.rule.limitPico),
        spent_usd: picoToUsd(s.spent),
        in_flight_usd: picoToUsd(s.inFlight),
        remaining_usd: picoToUsd(s.remaining),
        percent_spent: s.rule.limitPico === 0n ? 100 : Number((s.spent * 10_000n) / s.rule.limitPico) / 100,
        limit_pico: s.rule.limitPico.toString(),
        spent_pico: s.spent.toString(),
        in_flight_pico: s.inFlight.toString(),
        burn,
      };
    });
    json(res, 200, { budgets: out });
  };

  const keys = async (req: IncomingMessage, u: URL, res: ServerResponse): Promise<void> => {
    const rest = u.pathname.slice('/clawback/api/keys'.length).replace(/^\//, '');
    if (req.method === 'GET' && rest === '') return json(res, 200, { keys: d.keys.list().map(keyJson) });
    if (req.method === 'POST' && rest === '') {
      const p = CreateKeyBody.safeParse(await readJson(req));
      if (!p.success) throw new BadQuery(p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      const budget = p.data.budget !== undefined ? parseBudgetShorthand(p.data.budget) : null;
      const { key, record } = d.keys.create({ name: p.data.name, tags: p.data.tags, budget });
      d.onKeysChanged();
      return json(res, 201, { key, ...keyJson(record) });
    }
    if (req.method === 'DELETE' && rest !== '') {
      const changed = d.keys.revoke(decodeURIComponent(rest));
      d.onKeysChanged();
      return json(res, 200, { name: decodeURIComponent(rest), revoked: true, changed });
    }
    apiError(res, 405, 'invalid_request_error', `${req.method ?? ''} ${u.pathname} is not supported`);
  };

  const clawback = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const p = u.pathname;
    if (p === '/clawback' || p === '/clawback/' || p === '/clawback/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return apiError(res, 405, 'invalid_request_error', 'the dashboard answers GET');
      if (p === '/clawback') {
        res.writeHead(308, { location: '/clawback/' + u.search });
        res.end();
        return;
      }
      return page(req, res);
    }
    if (checkAdmin(req, res, d.adminToken) !== 'ok') return;
    try {
      if (p.startsWith('/clawback/api/keys')) return await keys(req, u, res);
      if (req.method !== 'GET') return apiError(res, 405, 'invalid_request_error', `${req.method ?? ''} ${p} is not supported`);
      switch (p) {
        case '/clawback/api/summary':
          return await summary(u, res);
        case '/clawback/api/requests':
          return await requests(u, res);
        case '/clawback/api/budgets':
          return budgets(res);
        case '/clawback/api/alerts':
          return json(res, 200, { alerts: d.alerts.recent(100) });
        case '/clawback/api/events':
          return d.feed.attach(req, res);
        default:
          return apiError(res, 404, 'not_found_error', `no clawback route ${p} (see the README, "The dashboard")`);
      }
    } catch (err) {
      if (err instanceof BadQuery || err instanceof KeyError || (err instanceof Error && err.name === 'ConfigError')) return apiError(res, 400, 'invalid_request_error', err.message);
      throw err;
    }
  };

  const metrics = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (checkAdmin(req, res, d.adminToken) !== 'ok') return;
    const body = await d.metrics.text();
    res.writeHead(200, { 'content-type': d.metrics.contentType, 'cache-control': 'no-store' });
    res.end(body);
  };

  return [
    { method: '*', prefix: '/clawback', handler: clawback },
    { method: 'GET', prefix: '/metrics', handler: metrics },
  ];
}
