/**
 * The monitor, assembled: budgets, alerts, metrics, the live feed, virtual keys and the dashboard, as one gateway
 * hook. `createMonitor` reads the config's "budgets" and "alerts" sections (throwing ConfigError on a bad field),
 * opens the monitor database, rebuilds the budgets' spend of their current periods from the usage store, and
 * returns the hook to hand to the gateway.
 */
import type { Catalog } from '../pricing/catalog.js';
import type { ConfigDocument } from '../config.js';
import type { UsageRecord, UsageStore } from '../store/record.js';
import { ApiError } from '../wire/errors.js';
import type { GatewayHook } from '../gateway/hooks.js';
import { checkBindSafety } from './admin-auth.js';
import { parseAlerts } from './alert-config.js';
import { AlertCenter } from './alerts.js';
import { monitorRoutes } from './api.js';
import { parseBudgets, toRules, type BudgetEntry, type BudgetRule } from './budget-config.js';
import { reserveFor, settleFor } from './budget-hook.js';
import { BudgetLedger, type BudgetStatus } from './budget-ledger.js';
import { BurnTracker } from './budget-burn.js';
import { createFeed, type LiveFeed } from './feed.js';
import { KEY_PREFIX, KeyStore } from './keys.js';
import { createMetrics, type MonitorMetrics } from './metrics.js';
import { openStateDb, type StateDb } from './state-db.js';
import { recordKeyLabel, requestRow, Rollup } from './summary.js';

export interface MonitorOptions {
  readonly store: UsageStore;
  readonly catalog: Catalog;
  /** The config document; its "budgets" and "alerts" sections are read. */
  readonly config?: ConfigDocument;
  /** CLAWBACK_ADMIN_TOKEN (null: admin routes open, allowed on loopback only). */
  readonly adminToken?: string | null;
  /** Path of the monitor database (see state-db.ts for the default), or an open one. */
  readonly state: string | StateDb;
  /** The real ANTHROPIC_API_KEY the gateway holds; virtual keys are served with it. */
  readonly apiKey?: string | null;
  /**
   * Whether every request must carry a virtual key. "auto" (default): yes once at least one active virtual key
   * exists, so a gateway holding the real key is not open to whoever reaches it.
   */
  readonly requireVirtualKey?: boolean | 'auto';
  /** The host the gateway binds; without an admin token only loopback is allowed. */
  readonly host?: string;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
  /** How long a request that fits the settled spend waits for reservations in flight to settle (default 2 s). */
  readonly reserveWaitMs?: number;
  /** Release reservations never settled after this long (a request cannot run longer). */
  readonly staleReservationMs?: number;
}

export interface Monitor {
  readonly hook: GatewayHook;
  readonly ledger: BudgetLedger;
  readonly metrics: MonitorMetrics;
  readonly feed: LiveFeed;
  readonly alerts: AlertCenter;
  readonly keys: KeyStore;
  /** Re-reads virtual keys' budgets (after `keys create --budget` in another process, say). */
  refreshRules(): void;
  close(): Promise<void>;
}

export async function createMonitor({
  store,
  catalog,
  config = {},
  adminToken = null,
  state,
  apiKey = null,
  requireVirtualKey = 'auto',
  host = '127.0.0.1',
  log = (l) => process.stderr.write(l + '\n'),
  now = Date.now,
  env = process.env,
  staleReservationMs = 60 * 60_000,
  reserveWaitMs = 2_000,
}: MonitorOptions): Promise<Monitor> {
  checkBindSafety(host, adminToken);
  const entries: BudgetEntry[] = parseBudgets(config['budgets']);
  const alertsConfig = parseAlerts(config['alerts']);
  const db = typeof state === 'string' ? openStateDb(state) : state;
  const keys = new KeyStore(db, env);

  const rulesNow = (): BudgetRule[] => {
    const fromConfig = toRules(entries, (name) => keys.byName(name)?.hash ?? null);
    const fromKeys: BudgetRule[] = keys
      .list(false)
      .filter((k) => k.budget !== null)
      .map((k) => ({ name: `key:${k.name}`, scope: { kind: 'key', keyHash: k.hash, label: k.name }, period: k.budget!.period, limitPico: k.budget!.limitPico, mode: 'hard', action: 'refuse', demoteTo: null }));
    return [...fromConfig, ...fromKeys.filter((r) => !fromConfig.some((c) => c.name === r.name))];
  };
  const ledger = new BudgetLedger(rulesNow(), { now, staleAfterMs: staleReservationMs });
  const metrics = createMetrics(() => ledger.status(), store.pending === undefined ? null : () => store.pending ?? 0);
  const feed = createFeed();
  const alerts = new AlertCenter({ db, config: alertsConfig, log, now, onRaised: (a) => feed.publish('alert', a) });

  const names = new Map<string, string>();
  const keyName = (r: UsageRecord): string => {
    if (r.keyHash === null) return '(no key)';
    let n = names.get(r.keyHash);
    if (n === undefined) {
      n = keys.byHash(r.keyHash)?.name ?? recordKeyLabel(r);
      names.set(r.keyHash, n);
    }
    return n;
  };

  // One read of the store at start: budgets get their current periods' spend back (durable budgets), the spike
  // rule its baseline, and the live summary its totals; from then on the gateway feeds all three as it records.
  const t = now();
  const baselineFrom = t - (alertsConfig.spike.window_minutes + alertsConfig.spike.baseline_minutes) * 60_000;
  const live = new Rollup(keyName);
  const burn = new BurnTracker(ledger);
  let oldest = t;
  const recentSpend: { at: number; pico: bigint }[] = [];
  await forEachStored(store, (r) => {
    ledger.addSpent({ keyHash: r.keyHash, tags: r.tags }, r.costPico, r.startedAt);
    burn.add({ keyHash: r.keyHash, tags: r.tags }, r.costPico, r.startedAt);
    live.add(r);
    if (r.startedAt < oldest) oldest = r.startedAt;
    if (r.startedAt >= baselineFrom) recentSpend.push({ at: r.startedAt, pico: r.costPico });
  });
  alerts.seed(recentSpend, Math.max(oldest, baselineFrom));
  alerts.resumePending();

  const refreshRules = (): void => {
    ledger.setRules(rulesNow());
  };
  const onKeysChanged = refreshRules;
  const sweeper = setInterval(() => {
    const n = ledger.sweep();
    if (n > 0) log(`clawback monitor: released ${n} budget reservation(s) never settled within ${staleReservationMs} ms`);
  }, Math.min(60_000, staleReservationMs));
  sweeper.unref();

  const hook: GatewayHook = {
    name: 'monitor',
    routes: monitorRoutes({ store, ledger, feed, metrics, alerts, keys, adminToken, keyName, onKeysChanged, now, live, burn }),
    authenticate(req, ctx) {
      const presented = headerKey(req.headers['x-api-key']) ?? bearer(req.headers.authorization);
      if (presented !== null && presented.startsWith(KEY_PREFIX)) {
        const k = keys.verify(presented);
        if (!k) return new ApiError('authentication_error', 'invalid x-api-key: this clawback key is unknown or revoked');
        if (apiKey === null) return new ApiError('authentication_error', 'this gateway holds no ANTHROPIC_API_KEY, so it cannot serve clawback virtual keys');
        if (k.budget !== null && !ledger.getRules().some((r) => r.name === `key:${k.name}`)) onKeysChanged();
        // The key's own tags win over request tags, so a client cannot move its spend to another team's budget.
        return { attribution: { keyHash: k.hash, tags: { ...ctx.attribution.tags, ...k.tags } }, upstreamKey: apiKey };
      }
      // Keys may be created by `clawback keys create` in another process: hasActive re-reads at least every second.
      const required = requireVirtualKey === 'auto' ? keys.hasActive() : requireVirtualKey;
      if (required) {
        return new ApiError('authentication_error', 'invalid x-api-key: this gateway accepts clawback keys only (create one with "clawback keys create --name NAME")');
      }
    },
    beforeSend(ctx) {
      const onRefused = (st: BudgetStatus, msg: string): void => {
        metrics.budgetRefused(st.rule.name);
        alerts.budgetRefusing(st, msg);
      };
      return reserveFor(ctx, { ledger, catalog: ctx.plan?.catalog ?? catalog, onRefused, waitMs: reserveWaitMs });
    },
    afterRecord(rec, ctx) {
      settleFor(rec, ctx, ledger);
      live.add(rec);
      burn.add({ keyHash: rec.keyHash, tags: rec.tags }, rec.costPico, rec.startedAt);
      metrics.observe(rec);
      if (feed.clients > 0) feed.publish('request', requestRow(rec, keyName));
      if (rec.costPico > 0n) {
        alerts.observeSpend(rec.costPico, rec.startedAt);
        alerts.checkBudgets(ledger.status());
      }
    },
    async close() {
      clearInterval(sweeper);
      feed.close();
      await alerts.close();
      if (typeof state === 'string') db.close();
    },
  };

  return { hook, ledger, metrics, feed, alerts, keys, refreshRules, close: async () => hook.close?.() };
}

/** Every stored record, oldest first, read a week at a time so a large store is never all in memory at once. */
async function forEachStored(store: UsageStore, fn: (r: UsageRecord) => void): Promise<void> {
  const [first] = await store.query({ limit: 1 });
  if (!first) return;
  const WEEK = 7 * 86_400_000;
  const [last] = await store.query({ limit: 1, newestFirst: true });
  const end = (last?.startedAt ?? first.startedAt) + 1;
  for (let since = first.startedAt; since < end; since += WEEK) {
    for (const r of await store.query({ since, until: Math.min(end, since + WEEK) })) fn(r);
  }
}

function headerKey(v: string | string[] | undefined): string | null {
  const s = Array.isArray(v) ? v[0] : v;
  return s ? s.trim() : null;
}

function bearer(v: string | undefined): string | null {
  if (!v || !/^bearer\s+/i.test(v)) return null;
  return v.replace(/^bearer\s+/i, '').trim() || null;
}
