/**
 * The cost engine: one `usage` object in, an exact bill out (integer pico-dollars), one line per kind of token.
 * Every rule below has a test in cost.test.ts with its arithmetic worked out by hand.
 */
import type { Catalog, CatalogModel, Rates } from './catalog.js';
import { ONE, mulRatio, type Pico, type Ratio } from './money.js';
import { billedSteps, promptTokens, type TokenLines, type Usage } from './usage.js';

export interface CostBreakdown {
  input: Pico;
  cache_write_5m: Pico;
  cache_write_1h: Pico;
  cache_read: Pico;
  output: Pico;
  server_tools: Pico;
}

export interface PricedUsage {
  /** The catalog's canonical id for the model that was priced. */
  readonly model: string;
  readonly breakdown: CostBreakdown;
  readonly total: Pico;
  /** Tokens by billing line, summed over every billed step (top level plus extra iterations). */
  readonly tokens: TokenLines;
  readonly webSearches: number;
  readonly batch: boolean;
  readonly fast: boolean;
  /** The `inference_geo` multiplier applied, or null for the default price. */
  readonly geo: string | null;
  /** Highest tier threshold used by any step, or null when every step was at base prices. */
  readonly tier: number | null;
}

export interface PriceOptions {
  /** Price as a Message Batches request even if `usage.service_tier` does not say "batch". */
  readonly batch?: boolean;
  /** Price with this `inference_geo` even if usage does not report it. */
  readonly geo?: string;
  /** Price at fast-mode rates even if `usage.speed` does not say "fast". */
  readonly fast?: boolean;
}

export class CostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostError';
  }
}

export const ZERO_BREAKDOWN: Readonly<CostBreakdown> = Object.freeze({
  input: 0n, cache_write_5m: 0n, cache_write_1h: 0n, cache_read: 0n, output: 0n, server_tools: 0n,
});

export function sumBreakdown(b: CostBreakdown): Pico {
  return b.input + b.cache_write_5m + b.cache_write_1h + b.cache_read + b.output + b.server_tools;
}

export function addBreakdowns(a: CostBreakdown, b: CostBreakdown): CostBreakdown {
  return {
    input: a.input + b.input,
    cache_write_5m: a.cache_write_5m + b.cache_write_5m,
    cache_write_1h: a.cache_write_1h + b.cache_write_1h,
    cache_read: a.cache_read + b.cache_read,
    output: a.output + b.output,
    server_tools: a.server_tools + b.server_tools,
  };
}

/** tokens x rate x ratio, rounded half-up to a whole pico-dollar (exact for every shipped price). */
function line(tokens: number, rate: Pico, r: Ratio): Pico {
  if (tokens === 0) return 0n;
  // A whole ratio (the standard price, 1/1) needs no rounding: the same result without the division.
  if (r.den === 1n) return r.num === 1n ? BigInt(tokens) * rate : BigInt(tokens) * rate * r.num;
  const num = BigInt(tokens) * rate * r.num;
  return (num * 2n + r.den) / (2n * r.den);
}

/** Rates for one step. Fast mode replaces the base prices; a tier applies when the step's prompt exceeds it. */
function ratesFor(m: CatalogModel, step: TokenLines, fast: boolean): { rates: Rates; tier: number | null } {
  if (fast) {
    if (!m.fast) throw new CostError(`model "${m.entry.id}" has no fast-mode price in the catalog (usage says speed "fast")`);
    return { rates: m.fast, tier: null };
  }
  const prompt = promptTokens(step);
  for (const t of m.tiers) {
    // Tiers are sorted highest first: the first one exceeded applies to every token of the step.
    if (prompt > t.abovePromptTokens) return { rates: t.rates, tier: t.abovePromptTokens };
  }
  return { rates: m.standard, tier: null };
}

function geoRatio(m: CatalogModel, geo: string | null | undefined): { ratio: Ratio; geo: string | null } {
  // "global" is the default price; logs write "" and the Usage API "not_available" for models without the field.
  if (!geo || geo === 'global' || geo === 'not_available') return { ratio: ONE, geo: null };
  const r = m.geo?.get(geo);
  if (!r) {
    if (!m.geo) throw new CostError(`model "${m.entry.id}" does not accept inference_geo (got "${geo}"); the API rejects it`);
    throw new CostError(`no price multiplier for inference_geo "${geo}" on model "${m.entry.id}"; add it to the catalog`);
  }
  return { ratio: r, geo };
}

/** Prices a usage object for a model already resolved from the catalog. */
export function priceResolved(m: CatalogModel, webSearchFee: Pico, usage: Usage, opts: PriceOptions = {}): PricedUsage {
  const batch = opts.batch === true || usage.service_tier === 'batch';
  const fast = opts.fast === true || usage.speed === 'fast';
  if (batch && fast) throw new CostError('fast mode is not available with the Batch API');
  const g = geoRatio(m, opts.geo ?? usage.inference_geo);
  // Batch halves every line; inference_geo multiplies every token line; they stack (1.9 in the reference).
  const tokenRatio = !batch ? g.ratio : g.ratio === ONE ? m.batch : mulRatio(m.batch, g.ratio);

  const breakdown: CostBreakdown = { ...ZERO_BREAKDOWN };
  const tokens: TokenLines = { input: 0, cache_write_5m: 0, cache_write_1h: 0, cache_read: 0, output: 0 };
  let tier: number | null = null;
  for (const step of billedSteps(usage)) {
    const r = ratesFor(m, step, fast);
    if (r.tier !== null && (tier === null || r.tier > tier)) tier = r.tier;
    breakdown.input += line(step.input, r.rates.input, tokenRatio);
    breakdown.cache_write_5m += line(step.cache_write_5m, r.rates.cache_write_5m, tokenRatio);
    breakdown.cache_write_1h += line(step.cache_write_1h, r.rates.cache_write_1h, tokenRatio);
    breakdown.cache_read += line(step.cache_read, r.rates.cache_read, tokenRatio);
    breakdown.output += line(step.output, r.rates.output, tokenRatio);
    tokens.input += step.input;
    tokens.cache_write_5m += step.cache_write_5m;
    tokens.cache_write_1h += step.cache_write_1h;
    tokens.cache_read += step.cache_read;
    tokens.output += step.output;
  }
  // Server tools: a flat fee per use, not scaled by batch or inference_geo (the fee is per search, not per token).
  const webSearches = Math.max(0, Math.floor(usage.server_tool_use?.web_search_requests ?? 0));
  breakdown.server_tools = BigInt(webSearches) * webSearchFee;

  return { model: m.entry.id, breakdown, total: sumBreakdown(breakdown), tokens, webSearches, batch, fast, geo: g.geo, tier };
}

/** Prices a usage object; throws UnknownModelError for a model the catalog does not know. */
export function priceUsage(catalog: Catalog, modelId: string, usage: Usage, opts: PriceOptions = {}): PricedUsage {
  return priceResolved(catalog.resolve(modelId), catalog.webSearchPerSearch, usage, opts);
}
