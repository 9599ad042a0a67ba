/**
 * The `analyze --json` document. Contract (DESIGN.md): `totals` with cost_usd, requests, input_tokens,
 * output_tokens, cache_creation_tokens, cache_read_tokens; `whatif` with one entry per lever and the combined
 * saving. Dollars are numbers for display (picoToUsd); the exact amounts are also given as pico-dollar strings.
 */
import { picoToUsd } from '../pricing/money.js';
import { cacheHitRate, type Aggregate, type Bucket } from './aggregate.js';
import type { SourceStats } from './record.js';
import type { WhatIf, WhatIfEntry } from './whatif/whatif.js';

export interface Report {
  readonly sources: readonly SourceStats[];
  readonly agg: Aggregate;
  readonly whatif: WhatIf;
  reconciliation?: Readonly<Record<string, unknown>> | undefined;
}

export function bucketJson(b: Bucket): Record<string, unknown> {
  const t = b.tokens;
  return {
    cost_usd: picoToUsd(b.cost),
    cost_pico_usd: b.cost.toString(),
    requests: b.requests,
    input_tokens: t.input,
    output_tokens: t.output,
    cache_creation_tokens: t.cache_write_5m + t.cache_write_1h,
    cache_creation_5m_tokens: t.cache_write_5m,
    cache_creation_1h_tokens: t.cache_write_1h,
    cache_read_tokens: t.cache_read,
    web_search_requests: b.webSearches,
    cache_hit_rate: cacheHitRate(t),
    truncations: b.truncations,
    wasted_cache_write_tokens: b.wastedWriteTokens,
    wasted_cache_write_premium_usd: picoToUsd(b.wastedWritePremium),
    breakdown_usd: {
      input: picoToUsd(b.breakdown.input),
      cache_write_5m: picoToUsd(b.breakdown.cache_write_5m),
      cache_write_1h: picoToUsd(b.breakdown.cache_write_1h),
      cache_read: picoToUsd(b.breakdown.cache_read),
      output: picoToUsd(b.breakdown.output),
      server_tools: picoToUsd(b.breakdown.server_tools),
    },
  };
}

function whatIfJson(e: WhatIfEntry): Record<string, unknown> {
  return { lever: e.lever, cost_usd: picoToUsd(e.cost), saving_usd: picoToUsd(e.saving), saving_pico_usd: e.saving.toString(), assumption: e.assumption, ...e.detail };
}

export function reportJson(r: Report): Record<string, unknown> {
  const a = r.agg;
  const w = r.whatif;
  return {
    currency: 'USD',
    period: { from: a.first === null ? null : new Date(a.first).toISOString(), to: a.last === null ? null : new Date(a.last).toISOString() },
    sources: r.sources.map((s) => ({ kind: s.kind, location: s.location, files: s.files, lines: s.lines, bytes: s.bytes, malformed_lines: s.malformed, malformed_samples: s.malformedSamples, duplicate_lines: s.duplicates })),
    totals: bucketJson(a.totals),
    by: a.by,
    groups: a.groups.map((b) => ({ key: b.key, ...bucketJson(b) })),
    by_day: a.byDay.map((b) => ({ key: b.key, ...bucketJson(b) })),
    by_model: a.byModel.map((b) => ({ key: b.key, ...bucketJson(b) })),
    top_sessions: a.topSessions.map((b) => ({ key: b.key, ...bucketJson(b) })),
    unknown_models: a.unknownModels.map((u) => ({ model: u.model, requests: u.requests, input_tokens: u.tokens.input, output_tokens: u.tokens.output, cache_creation_tokens: u.tokens.cache_write_5m + u.tokens.cache_write_1h, cache_read_tokens: u.tokens.cache_read, note: 'not priced: add the model to the price catalog' })),
    price_errors: a.priceFailures.map((f) => ({ model: f.model, requests: f.requests, message: f.message })),
    whatif: {
      actual_cost_usd: picoToUsd(w.actual),
      replay_baseline_usd: picoToUsd(w.replayBaseline),
      replay_error_usd: picoToUsd(w.replayBaseline - w.actual),
      cache_engine: w.cacheEngine,
      levers: w.levers.map(whatIfJson),
      combined: whatIfJson(w.combined),
      combined_saving_usd: picoToUsd(w.combined.saving),
      oracle: whatIfJson(w.oracle),
      waterfall: w.waterfall.map((s) => ({ lever: s.lever, cost_after_usd: picoToUsd(s.cost) })),
    },
    ...(r.reconciliation ? { reconciliation: r.reconciliation } : {}),
  };
}
