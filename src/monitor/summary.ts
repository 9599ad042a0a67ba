/**
 * What the dashboard and the JSON API show, computed from usage records (the store is the one source of truth, so
 * the dashboard always equals what `analyze` would say about the same records). Sums are exact bigint pico-dollars,
 * turned into dollars only for the JSON.
 *
 * - spend.last_hour_usd: billed in the last 60 minutes ("spend now, per hour").
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

function grouped(records: readonly UsageRecord[], keysOf: (r: UsageRecord) => string[], limit: number): GroupRow[] {
  const m = new Map<string, Acc>();
  for (const r of records) {
    for (const k of keysOf(r)) {
      let a = m.get(k);
      if (!a) m.set(k, (a = new Acc()));
      a.add(r);
    }
  }
  return [...m.entries()]
    .sort((x, y) => (x[1].cost === y[1].cost ? x[0].localeCompare(y[0]) : x[1].cost > y[1].cost ? -1 : 1))
    .slice(0, limit)
    .map(([k, a]) => a.row(k));
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

/** `records` must cover the range asked for and at least the current month and the last 24 hours. */
export function summarize(records: readonly UsageRecord[], inRange: (r: UsageRecord) => boolean, { now, keyName = recordKeyLabel, groupLimit = 20 }: SummaryOptions) {
  const ranged = records.filter(inRange);
  const all = new Acc();
  for (const r of ranged) all.add(r);

  const dayStart = periodStart('day', now);
  const monthStart = periodStart('month', now);
  const monthEnd = periodEnd('month', now);
  let lastHour = 0n;
  let today = 0n;
  let month = 0n;
  const hourly = new Map<number, { cost: Pico; baseline: Pico }>();
  const firstHour = Math.floor(now / HOUR) - 23;
  for (const r of records) {
    if (r.startedAt > now) continue;
    if (r.startedAt >= now - HOUR) lastHour += r.costPico;
    if (r.startedAt >= dayStart) today += r.costPico;
    if (r.startedAt >= monthStart) month += r.costPico;
    const h = Math.floor(r.startedAt / HOUR);
    if (h >= firstHour) {
      const e = hourly.get(h) ?? { cost: 0n, baseline: 0n };
      e.cost += r.costPico;
      e.baseline += r.baselinePico;
      hourly.set(h, e);
    }
  }
  const elapsed = BigInt(Math.max(1, now - monthStart));
  const projection = (month * BigInt(monthEnd - monthStart)) / elapsed;

  const savingsByLever: Partial<Record<LeverName, Pico>> = {};
  for (const r of ranged) {
    for (const l of LEVERS) {
      const s = r.savingsPico[l];
      if (s !== undefined) savingsByLever[l] = (savingsByLever[l] ?? 0n) + s;
    }
  }
  const t = all.totals();
  const allInput = t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens;

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
    savings_by_lever: Object.fromEntries(LEVERS.map((l) => [l, picoToUsd(savingsByLever[l] ?? 0n)])) as Record<LeverName, number>,
    by_model: grouped(ranged, (r) => [r.servedModel ?? r.requestedModel ?? '(none)'], groupLimit),
    by_key: grouped(ranged, (r) => [keyName(r)], groupLimit),
    by_tag: grouped(ranged, (r) => Object.entries(r.tags).map(([k, v]) => `${k}=${v}`), groupLimit),
    by_session: grouped(ranged.filter((r) => r.sessionId !== null), (r) => [r.sessionId!], groupLimit),
    hourly: Array.from({ length: 24 }, (_, i) => {
      const h = firstHour + i;
      const e = hourly.get(h);
      return { hour: new Date(h * HOUR).toISOString(), cost_usd: picoToUsd(e?.cost ?? 0n), baseline_usd: picoToUsd(e?.baseline ?? 0n) };
    }),
  };
}

export type Summary = ReturnType<typeof summarize>;

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
