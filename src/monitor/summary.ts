/**
 * What the dashboard and the JSON API show, computed from usage records (the store is the one source of truth, so
 * the dashboard always equals what `analyze` would say about the same records). Sums are exact bigint pico-dollars,
 * turned into dollars only for the JSON.
 *
 * - spend.last_hour_usd: billed by requests that started in the last 60 minutes, to the second ("spend now, per
 *   hour").
 * - spend.today_usd / month_usd: since 00:00 UTC today / the 1st of the month, UTC.
 * - spend.month_projection_usd: the month so far continued at its average rate since the 1st, to the month's end.
 * - cache.hit_rate: cache-read tokens over all input tokens (uncached + cache writes + cache reads).
 * - savings: baseline (what the clients' own requests would have cost) minus cost, per lever.
 */
import { picoToUsd, type Pico } from '../pricing/money.js';
import { LEVERS, type LeverName, type UsageRecord } from '../store/record.js';
import { periodEnd, periodStart } from './periods.js';

const HOUR = 3_600_000;

export interface Totals {
  cost_usd: number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  savings_usd: number;
  baseline_usd: number;
  errors: number;
  rejected: number;
  /** Exact figures as decimal strings of pico-dollars (JSON has no bigint). */
  cost_pico: string;
  savings_pico: string;
  baseline_pico: string;
}

export interface GroupRow {
  name: string;
  requests: number;
  cost_usd: number;
  baseline_usd: number;
  savings_usd: number;
  cost_pico: string;
}

class Acc {
  requests = 0;
  input = 0;
  output = 0;
  cacheWrite = 0;
  cacheRead = 0;
  cost = 0n;
  baseline = 0n;
  errors = 0;
  rejected = 0;
  add(r: UsageRecord): void {
    this.requests++;
    this.input += r.inputTokens;
    this.output += r.outputTokens;
    this.cacheWrite += r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    this.cacheRead += r.cacheReadTokens;
    this.cost += r.costPico;
    this.baseline += r.baselinePico;
    if (r.outcome === 'error') this.errors++;
    if (r.outcome === 'rejected') this.rejected++;
  }
  totals(): Totals {
    const savings = this.baseline - this.cost;
    return {
      cost_usd: picoToUsd(this.cost),
      requests: this.requests,
      input_tokens: this.input,
      output_tokens: this.output,
      cache_creation_tokens: this.cacheWrite,
      cache_read_tokens: this.cacheRead,
      savings_usd: picoToUsd(savings),
      baseline_usd: picoToUsd(this.baseline),
      errors: this.errors,
      rejected: this.rejected,
      cost_pico: this.cost.toString(),
      savings_pico: savings.toString(),
      baseline_pico: this.baseline.toString(),
    };
  }
  row(name: string): GroupRow {
    return { name, requests: this.requests, cost_usd: picoToUsd(this.cost), baseline_usd: picoToUsd(this.baseline), savings_usd: picoToUsd(this.baseline - this.cost), cost_pico: this.cost.toString() };
  }
}

class Groups {
  readonly m = new Map<string, Acc>();
  add(k: string, r: UsageRecord): void {
    let a = this.m.get(k);
    if (!a) this.m.set(k, (a = new Acc()));
    a.add(r);
  }
  top(limit: number): GroupRow[] {
    return [...this.m.entries()]
      .sort((x, y) => (x[1].cost === y[1].cost ? x[0].localeCompare(y[0]) : x[1].cost > y[1].cost ? -1 : 1))
      .slice(0, limit)
      .map(([k, a]) => a.row(k));
  }
}

export interface SummaryOptions {
  readonly now: number;
  /** Display name for a key hash (virtual key name, or "…last4"). */
  readonly keyName?: (r: UsageRecord) => string;
  readonly groupLimit?: number;
}

export function recordKeyLabel(r: UsageRecord): string {
  if (r.keyHash === null) return '(no key)';
  return r.keyLast4 ? `…${r.keyLast4}` : r.keyHash.slice(0, 8);
}

/**
 * Everything the summary shows, kept up to date one record at a time: the live dashboard keeps one of these (fed by
 * the gateway as it records, seeded from the store at start) instead of re-reading the store on every refresh.
 * `add(r, false)` counts a record only in the time-based figures (spend cards, hourly chart), for ranged summaries.
 */
export class Rollup {
  private readonly all = new Acc();
  private readonly byModel = new Groups();
  private readonly byKey = new Groups();
  private readonly byTag = new Groups();
  private readonly bySession = new Groups();
  private readonly savings = new Map<LeverName, Pico>();
  /** Billed per UTC hour (epoch hour -> cost, baseline): today, this month and the 24-hour chart. */
  private readonly hours = new Map<number, { cost: Pico; baseline: Pico }>();
  /**
   * Billed per epoch second over the last two hours, for the "spend now" figure. One entry per second (not per
   * record) keeps `add` O(1) and the memory bounded at any request rate; entries arrive in about time order, so the
   * oldest sit first and pruning stops at the first one still wanted.
   */
  private readonly seconds = new Map<number, Pico>();
  /** The latest second seen: pruning while adding is relative to it, so a rollup of past records works too. */
  private newest = 0;

  constructor(private readonly keyName: (r: UsageRecord) => string = recordKeyLabel) {}

  add(r: UsageRecord, inRange = true): void {
    if (inRange) {
      this.all.add(r);
      this.byModel.add(r.servedModel ?? r.requestedModel ?? '(none)', r);
      this.byKey.add(this.keyName(r), r);
      for (const [k, v] of Object.entries(r.tags)) this.byTag.add(`${k}=${v}`, r);
      if (r.sessionId !== null) this.bySession.add(r.sessionId, r);
      for (const l of LEVERS) {
        const s = r.savingsPico[l];
        if (s !== undefined) this.savings.set(l, (this.savings.get(l) ?? 0n) + s);
      }
    }
    const h = Math.floor(r.startedAt / HOUR);
    const e = this.hours.get(h) ?? { cost: 0n, baseline: 0n };
    e.cost += r.costPico;
    e.baseline += r.baselinePico;
    this.hours.set(h, e);
    if (r.costPico !== 0n) {
      const s = Math.floor(r.startedAt / 1000);
      this.seconds.set(s, (this.seconds.get(s) ?? 0n) + r.costPico);
      if (s > this.newest) this.newest = s;
      if (this.seconds.size > 7300) this.prune(this.newest * 1000);
    }
  }

  /** Drops seconds older than two hours before `now`, from the oldest on. */
  private prune(now: number): void {
    const cutoff = Math.floor((now - 2 * HOUR) / 1000);
    for (const s of this.seconds.keys()) {
      if (s >= cutoff) break;
      this.seconds.delete(s);
    }
  }

  snapshot({ now, groupLimit = 20 }: Omit<SummaryOptions, 'keyName'>) {
    const dayStart = periodStart('day', now);
    const monthStart = periodStart('month', now);
    const monthEnd = periodEnd('month', now);
    this.prune(now);
    let lastHour = 0n;
    const from = Math.ceil((now - HOUR) / 1000);
    const to = Math.floor(now / 1000);
    for (const [s, cost] of this.seconds) if (s >= from && s <= to) lastHour += cost;
    let today = 0n;
    let month = 0n;
    const nowHour = Math.floor(now / HOUR);
    for (const [h, e] of this.hours) {
      if (h > nowHour) continue;
      if (h * HOUR >= dayStart) today += e.cost;
      if (h * HOUR >= monthStart) month += e.cost;
    }
    const elapsed = BigInt(Math.max(1, now - monthStart));
    const projection = (month * BigInt(monthEnd - monthStart)) / elapsed;
    const t = this.all.totals();
    const allInput = t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens;
    const firstHour = nowHour - 23;
    return {
      generated_at: new Date(now).toISOString(),
      totals: t,
      spend: {
        last_hour_usd: picoToUsd(lastHour),
        today_usd: picoToUsd(today),
        month_usd: picoToUsd(month),
        month_projection_usd: picoToUsd(projection),
        today_pico: today.toString(),
        month_pico: month.toString(),
      },
      cache: {
        hit_rate: allInput === 0 ? 0 : t.cache_read_tokens / allInput,
        read_tokens: t.cache_read_tokens,
        write_tokens: t.cache_creation_tokens,
        uncached_tokens: t.input_tokens,
      },
      savings_by_lever: Object.fromEntries(LEVERS.map((l) => [l, picoToUsd(this.savings.get(l) ?? 0n)])) as Record<LeverName, number>,
      by_model: this.byModel.top(groupLimit),
      by_key: this.byKey.top(groupLimit),
      by_tag: this.byTag.top(groupLimit),
      by_session: this.bySession.top(groupLimit),
      hourly: Array.from({ length: 24 }, (_, i) => {
        const e = this.hours.get(firstHour + i);
        return { hour: new Date((firstHour + i) * HOUR).toISOString(), cost_usd: picoToUsd(e?.cost ?? 0n), baseline_usd: picoToUsd(e?.baseline ?? 0n) };
      }),
    };
  }
}

/** `records` must cover the range asked for and at least the current month and the last 24 hours. */
export function summarize(records: readonly UsageRecord[], inRange: (r: UsageRecord) => boolean, { now, keyName = recordKeyLabel, groupLimit = 20 }: SummaryOptions) {
  const r = new Rollup(keyName);
  for (const rec of records) r.add(rec, inRange(rec));
  return r.snapshot({ now, groupLimit });
}

export type Summary = ReturnType<Rollup['snapshot']>;

/** One request as the API and the live feed show it, with its bill. */
export function requestRow(r: UsageRecord, keyName: (r: UsageRecord) => string = recordKeyLabel) {
  return {
    id: r.id,
    at: new Date(r.startedAt).toISOString(),
    started_at: r.startedAt,
    model: r.servedModel ?? r.requestedModel,
    requested_model: r.requestedModel,
    endpoint: r.endpoint,
    key: keyName(r),
    session: r.sessionId,
    tags: r.tags,
    status: r.status,
    outcome: r.outcome,
    stream: r.stream,
    input_tokens: r.inputTokens,
    cache_write_tokens: r.cacheWrite5mTokens + r.cacheWrite1hTokens,
    cache_read_tokens: r.cacheReadTokens,
    output_tokens: r.outputTokens,
    cost_usd: picoToUsd(r.costPico),
    baseline_usd: picoToUsd(r.baselinePico),
    savings_usd: picoToUsd(r.baselinePico - r.costPico),
    cost_pico: r.costPico.toString(),
    duration_ms: r.endedAt === null ? null : r.endedAt - r.startedAt,
    error_type: r.errorType,
  };
}

export type RequestRow = ReturnType<typeof requestRow>;
