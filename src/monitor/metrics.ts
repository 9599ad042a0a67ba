/**
 * Prometheus metrics (prom-client, on a registry of our own so two gateways in one process do not collide).
 * Money is kept exactly (bigint pico-dollars) and converted to dollars only when scraped, so counters never drift.
 *
 *   clawback_requests_total{model,endpoint,outcome,status}     requests metered
 *   clawback_tokens_total{model,kind}                          kind: input|cache_write_5m|cache_write_1h|cache_read|output
 *   clawback_cost_usd_total{model}                             what was billed
 *   clawback_baseline_usd_total{model}                         what the clients' own requests would have cost
 *   clawback_savings_usd_total{lever}                          baseline - cost, per lever
 *   clawback_cache_hit_ratio                                   cache-read tokens / all input tokens, since start
 *   clawback_request_duration_seconds{model}                   histogram, arrival to last byte
 *   clawback_first_byte_seconds{model}                         histogram, arrival to first byte
 *   clawback_upstream_errors_total{status,type}                error answers (not clawback's own refusals)
 *   clawback_budget_limit_usd / _spent_usd / _in_flight_usd / _remaining_usd{budget,period}
 *   clawback_budget_refusals_total{budget}
 *   clawback_store_pending_records                             metered, not yet written (stores that can tell)
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { picoToUsd, type Pico } from '../pricing/money.js';
import type { UsageRecord } from '../store/record.js';
import type { BudgetStatus } from './budget-ledger.js';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

/**
 * Sums per label set, kept here and handed to prom-client only when scraped (its `collect`): money stays exact, and
 * a record costs a Map update per series instead of an `inc` that validates and hashes its labels (~1 us a record
 * for the request and token series). `key` names the label set (its values joined by NUL).
 */
class Sums<T> {
  readonly sums = new Map<string, { labels: Record<string, string>; value: T }>();
  constructor(private readonly plus: (a: T, b: T) => T) {}
  add(key: string, labels: Record<string, string>, value: T): void {
    const e = this.sums.get(key);
    if (e) e.value = this.plus(e.value, value);
    else this.sums.set(key, { labels, value });
  }
}
const pico = (): Sums<Pico> => new Sums<Pico>((a, b) => a + b);
const count = (): Sums<number> => new Sums<number>((a, b) => a + b);

export interface MonitorMetrics {
  readonly registry: Registry;
  observe(rec: UsageRecord): void;
  budgetRefused(budget: string): void;
  text(): Promise<string>;
  readonly contentType: string;
}

/** `pending`: records the store has accepted and not yet written (null when the store cannot tell). */
export function createMetrics(budgets: () => readonly BudgetStatus[] = () => [], pending: (() => number) | null = null): MonitorMetrics {
  const registry = new Registry();
  const cost = pico();
  const baseline = pico();
  const savings = pico();
  const requests = count();
  const tokens = count();
  let cacheRead = 0;
  let allInput = 0;

  const fromPico = (sums: Sums<Pico>) =>
    function (this: Counter) {
      this.reset();
      for (const { labels, value } of sums.sums.values()) this.inc(labels, picoToUsd(value));
    };
  const fromCounts = (sums: Sums<number>) =>
    function (this: Counter) {
      this.reset();
      for (const { labels, value } of sums.sums.values()) this.inc(labels, value);
    };

  new Counter({ name: 'clawback_requests_total', help: 'Requests metered by the gateway', labelNames: ['model', 'endpoint', 'outcome', 'status'], registers: [registry], collect: fromCounts(requests) });
  new Counter({ name: 'clawback_tokens_total', help: 'Tokens billed, by kind', labelNames: ['model', 'kind'], registers: [registry], collect: fromCounts(tokens) });
  new Counter({ name: 'clawback_cost_usd_total', help: 'Billed cost in USD (exact sums, converted at scrape)', labelNames: ['model'], registers: [registry], collect: fromPico(cost) });
  new Counter({ name: 'clawback_baseline_usd_total', help: 'What the clients\' own requests would have cost, in USD', labelNames: ['model'], registers: [registry], collect: fromPico(baseline) });
  new Counter({ name: 'clawback_savings_usd_total', help: 'Savings (baseline - cost) in USD, per lever', labelNames: ['lever'], registers: [registry], collect: fromPico(savings) });
  new Gauge({
    name: 'clawback_cache_hit_ratio',
    help: 'Cache-read tokens over all input tokens (uncached + cache writes + cache reads), since start',
    registers: [registry],
    collect() {
      this.set(allInput === 0 ? 0 : cacheRead / allInput);
    },
  });
  const duration = new Histogram({ name: 'clawback_request_duration_seconds', help: 'Time from arrival to the last byte', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const firstByte = new Histogram({ name: 'clawback_first_byte_seconds', help: 'Time from arrival to the first byte of the answer', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const upstreamErrors = new Counter({ name: 'clawback_upstream_errors_total', help: 'Error answers from upstream (status >= 400 or SSE error events)', labelNames: ['status', 'type'], registers: [registry] });
  const refusals = new Counter({ name: 'clawback_budget_refusals_total', help: 'Requests refused by a hard budget', labelNames: ['budget'], registers: [registry] });
  const budgetGauge = (name: string, help: string, pick: (s: BudgetStatus) => Pico) =>
    new Gauge({
      name,
      help,
      labelNames: ['budget', 'period'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of budgets()) this.set({ budget: s.rule.name, period: s.rule.period }, picoToUsd(pick(s)));
      },
    });
  budgetGauge('clawback_budget_limit_usd', 'Budget limit in USD', (s) => s.rule.limitPico);
  budgetGauge('clawback_budget_spent_usd', 'Settled spend in the budget\'s current period, USD', (s) => s.spent);
  budgetGauge('clawback_budget_in_flight_usd', 'Reserved by requests in flight, USD', (s) => s.inFlight);
  budgetGauge('clawback_budget_remaining_usd', 'limit - spent - in flight, USD', (s) => s.remaining);
  if (pending) {
    new Gauge({
      name: 'clawback_store_pending_records',
      help: 'Records metered and not yet written to the usage store (grows if the store falls behind)',
      registers: [registry],
      collect() {
        this.set(pending());
      },
    });
  }

  return {
    registry,
    contentType: registry.contentType,
    observe(rec) {
      const model = rec.servedModel ?? rec.requestedModel ?? 'unknown';
      const status = String(rec.status);
      requests.add(`${model}\u0000${rec.endpoint}\u0000${rec.outcome}\u0000${status}`, { model, endpoint: rec.endpoint, outcome: rec.outcome, status }, 1);
      const kinds: [string, number][] = [
        ['input', rec.inputTokens],
        ['cache_write_5m', rec.cacheWrite5mTokens],
        ['cache_write_1h', rec.cacheWrite1hTokens],
        ['cache_read', rec.cacheReadTokens],
        ['output', rec.outputTokens],
      ];
      for (const [kind, n] of kinds) if (n > 0) tokens.add(`${model}\u0000${kind}`, { model, kind }, n);
      cacheRead += rec.cacheReadTokens;
      allInput += rec.inputTokens + rec.cacheWrite5mTokens + rec.cacheWrite1hTokens + rec.cacheReadTokens;
      cost.add(model, { model }, rec.costPico);
      baseline.add(model, { model }, rec.baselinePico);
      for (const [lever, p] of Object.entries(rec.savingsPico)) if (p !== undefined) savings.add(lever, { lever }, p);
      if (rec.endedAt !== null) duration.observe({ model }, Math.max(0, rec.endedAt - rec.startedAt) / 1000);
      if (rec.firstByteAt !== null) firstByte.observe({ model }, Math.max(0, rec.firstByteAt - rec.startedAt) / 1000);
      if (rec.outcome === 'error') upstreamErrors.inc({ status: String(rec.status), type: rec.errorType ?? 'unknown' });
    },
    budgetRefused(budget) {
      refusals.inc({ budget });
    },
    text: () => registry.metrics(),
  };
}
