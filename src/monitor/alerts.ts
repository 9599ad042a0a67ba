/**
 * Alerts: a budget crossing a threshold (50/80/100% of its limit by default) and a spend rate far above its recent
 * baseline. Each alert has a stable id (budget + period + threshold, or the minute a spike began); the id is
 * written to the monitor database before anything is sent, so an alert goes out once, even across restarts. It is
 * logged, then POSTed as JSON to the webhook, retried a bounded number of times with backoff; one still "pending"
 * after a crash is sent again at the next start.
 */
import { picoToUsd, type Pico } from '../pricing/money.js';
import type { AlertsConfig } from './alert-config.js';
import type { BudgetStatus } from './budget-ledger.js';
import type { StateDb } from './state-db.js';

export interface AlertPayload {
  readonly id: string;
  readonly kind: 'budget_threshold' | 'budget_refusing' | 'spend_spike';
  readonly message: string;
  readonly at: string;
  readonly budget?: {
    readonly name: string;
    readonly scope: string;
    readonly period: string;
    readonly period_key: string;
    readonly limit_usd: number;
    readonly spent_usd: number;
    readonly percent: number;
    readonly mode: string;
  };
  readonly threshold_percent?: number;
  readonly rate?: { readonly window_usd_per_hour: number; readonly baseline_usd_per_hour: number; readonly factor: number };
}

export interface AlertCenterOptions {
  readonly db: StateDb;
  readonly config: AlertsConfig;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  readonly fetchImpl?: typeof fetch;
  /** Called once per alert raised (the live feed). */
  readonly onRaised?: (alert: AlertPayload) => void;
}

const MINUTE = 60_000;

function scopeLabel(s: BudgetStatus['rule']['scope']): string {
  return s.kind === 'global' ? 'global' : s.kind === 'key' ? `key ${s.label}` : `tag ${s.tag}=${s.value}`;
}

export class AlertCenter {
  private readonly db: StateDb;
  private readonly config: AlertsConfig;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly onRaised: (alert: AlertPayload) => void;
  /** Spend per minute (epoch minute -> pico), for the spike rule. */
  private readonly minutes = new Map<number, Pico>();
  private observedSince: number;
  private spikeOpen: number | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor({ db, config, log = (l) => process.stderr.write(l + '\n'), now = Date.now, fetchImpl = fetch, onRaised = () => undefined }: AlertCenterOptions) {
    this.onRaised = onRaised;
    this.db = db;
    this.config = config;
    this.log = log;
    this.now = now;
    this.fetchImpl = fetchImpl;
    this.observedSince = now();
  }

  /** Re-sends alerts left pending by a previous run (raised, but the process stopped before delivery finished). */
  resumePending(): void {
    const rows = this.db.prepare("SELECT payload FROM monitor_alerts WHERE status = 'pending' ORDER BY created_at").all() as { payload: string }[];
    for (const r of rows) this.track(this.deliver(JSON.parse(r.payload) as AlertPayload));
  }

  /** Spend history, e.g. from the store at start; `since` is how far back the history reaches. */
  seed(records: Iterable<{ at: number; pico: Pico }>, since: number): void {
    for (const r of records) this.addMinute(r.at, r.pico);
    this.observedSince = Math.min(this.observedSince, since);
  }

  private addMinute(at: number, pico: Pico): void {
    if (pico === 0n) return;
    const m = Math.floor(at / MINUTE);
    this.minutes.set(m, (this.minutes.get(m) ?? 0n) + pico);
  }

  private sumMinutes(from: number, to: number): Pico {
    let s = 0n;
    for (const [m, p] of this.minutes) if (m >= from && m < to) s += p;
    return s;
  }

  /** Feeds one metered request's cost to the spike rule, and raises a spike alert if the rate just took off. */
  observeSpend(pico: Pico, at: number): void {
    this.addMinute(at, pico);
    const sp = this.config.spike;
    if (!sp.enabled) return;
    const nowMin = Math.floor(this.now() / MINUTE) + 1;
    const winStart = nowMin - sp.window_minutes;
    const baseStart = winStart - sp.baseline_minutes;
    for (const m of this.minutes.keys()) if (m < baseStart) this.minutes.delete(m);
    // Without a full baseline behind it, a rate cannot be "far above its baseline".
    if (this.observedSince > baseStart * MINUTE) return;
    const window = this.sumMinutes(winStart, nowMin);
    const base = this.sumMinutes(baseStart, winStart);
    // Rates per hour, compared exactly: window/W vs factor * base/B  <=>  window*B*1000 vs factor*1000 * base*W.
    const W = BigInt(sp.window_minutes);
    const B = BigInt(sp.baseline_minutes);
    const windowPerHour = (window * 60n) / W;
    const above = windowPerHour >= sp.min_usd_per_hour && window * B * 1000n > BigInt(Math.round(sp.factor * 1000)) * base * W;
    if (!above) {
      this.spikeOpen = null;
      return;
    }
    if (this.spikeOpen !== null) return;
    this.spikeOpen = winStart;
    const baseUsdH = picoToUsd((base * 60n) / B);
    const winUsdH = picoToUsd(windowPerHour);
    this.raise({
      id: `spike:${new Date(winStart * MINUTE).toISOString()}`,
      kind: 'spend_spike',
      message: `spend rate $${winUsdH.toFixed(2)}/h over the last ${sp.window_minutes} min is more than ${sp.factor}x its baseline of $${baseUsdH.toFixed(2)}/h over the ${sp.baseline_minutes} min before`,
      at: new Date(this.now()).toISOString(),
      rate: { window_usd_per_hour: winUsdH, baseline_usd_per_hour: baseUsdH, factor: sp.factor },
    });
  }

  /** Raises a threshold alert for every threshold a budget's settled spend has reached in its current period. */
  checkBudgets(statuses: readonly BudgetStatus[]): void {
    for (const s of statuses) {
      const limit = s.rule.limitPico;
      if (limit <= 0n) continue;
      for (const t of this.config.thresholds) {
        // spent / limit >= t / 100, exactly, with thresholds to 1/1000 of a percent
        if (s.spent * 100_000n < BigInt(Math.round(t * 1000)) * limit) continue;
        const pct = Number((s.spent * 10_000n) / limit) / 100;
        this.raise({
          id: `budget:${s.rule.name}:${s.periodKey}:${t}`,
          kind: 'budget_threshold',
          message: `budget "${s.rule.name}" (${scopeLabel(s.rule.scope)}, ${s.rule.period}) reached ${t}% of its limit: $${picoToUsd(s.spent).toFixed(4)} of $${picoToUsd(limit).toFixed(2)} spent in ${s.periodKey}`,
          at: new Date(this.now()).toISOString(),
          budget: {
            name: s.rule.name,
            scope: scopeLabel(s.rule.scope),
            period: s.rule.period,
            period_key: s.periodKey,
            limit_usd: picoToUsd(limit),
            spent_usd: picoToUsd(s.spent),
            percent: pct,
            mode: s.rule.mode,
          },
          threshold_percent: t,
        });
      }
    }
  }

  /**
   * A hard budget refused its first request of the period. Thresholds follow settled spend, and a hard budget
   * refuses before spend reaches 100%, so this is the alert that says "requests are being turned away".
   */
  budgetRefusing(s: BudgetStatus, refusal: string): void {
    this.raise({
      id: `refusing:${s.rule.name}:${s.periodKey}`,
      kind: 'budget_refusing',
      message: `budget "${s.rule.name}" is refusing requests: ${refusal}`,
      at: new Date(this.now()).toISOString(),
      budget: {
        name: s.rule.name,
        scope: scopeLabel(s.rule.scope),
        period: s.rule.period,
        period_key: s.periodKey,
        limit_usd: picoToUsd(s.rule.limitPico),
        spent_usd: picoToUsd(s.spent),
        percent: s.rule.limitPico === 0n ? 100 : Number((s.spent * 10_000n) / s.rule.limitPico) / 100,
        mode: s.rule.mode,
      },
    });
  }

  /** Records the alert (once: a second raise of the same id does nothing), logs it and starts delivery. */
  raise(alert: AlertPayload): boolean {
    if (this.closed) return false;
    const r = this.db
      .prepare("INSERT OR IGNORE INTO monitor_alerts (id, kind, payload, created_at, status) VALUES (?, ?, ?, ?, 'pending')")
      .run(alert.id, alert.kind, JSON.stringify(alert), this.now());
    if (r.changes === 0) return false;
    this.log(`clawback alert: ${alert.message}`);
    this.onRaised(alert);
    this.track(this.deliver(alert));
    return true;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async deliver(alert: AlertPayload): Promise<void> {
    const hook = this.config.webhook;
    const mark = this.db.prepare('UPDATE monitor_alerts SET status = ?, attempts = ?, delivered_at = ?, last_error = ? WHERE id = ?');
    if (!hook) {
      mark.run('logged', 0, this.now(), null, alert.id);
      return;
    }
    let lastError = '';
    for (let attempt = 1; attempt <= hook.retries + 1; attempt++) {
      try {
        const res = await this.fetchImpl(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'clawback-alerts', 'x-clawback-alert-id': alert.id },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(hook.timeout_ms),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          mark.run('delivered', attempt, this.now(), null, alert.id);
          return;
        }
        lastError = `HTTP ${res.status}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      if (attempt <= hook.retries) await new Promise((r) => setTimeout(r, hook.backoff_ms * 2 ** (attempt - 1)));
    }
    mark.run('failed', hook.retries + 1, null, lastError, alert.id);
    this.log(`clawback alert: webhook delivery of ${alert.id} failed after ${hook.retries + 1} attempts: ${lastError}`);
  }

  /** Alerts raised so far (newest first), for the dashboard. */
  recent(limit = 50): { id: string; kind: string; status: string; created_at: number; payload: AlertPayload }[] {
    const rows = this.db.prepare('SELECT id, kind, status, created_at, payload FROM monitor_alerts ORDER BY created_at DESC LIMIT ?').all(limit) as {
      id: string;
      kind: string;
      status: string;
      created_at: number;
      payload: string;
    }[];
    return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as AlertPayload }));
  }

  /** Waits for deliveries under way (used at shutdown and by tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }
}
