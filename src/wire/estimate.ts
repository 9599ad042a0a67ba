/**
 * What a request will cost before it is sent, for budgets (reserve the worst case) and planning (compare options).
 *
 * Input tokens come from the prompt-prefix model (analyzePrefix: per tokenizer family, hidden tool-use prompt
 * included), optionally corrected by a TokenCalibration learned from observed usage. Output is `max_tokens` for the
 * worst case (thinking counts toward it, so it is a true ceiling) and an expected count when the caller has one.
 * Every figure is priced by the one cost engine (priceResolved), in integer pico-dollars.
 *
 * Cache scenarios, from the request's own breakpoints (explicit and automatic) that reach the model's minimum
 * cacheable length (shorter prefixes are silently not cached):
 * - cold: nothing cached yet; the prefix through the last 1h breakpoint is a 1h write, the rest through the last
 *   breakpoint a 5m write (reference 2.4), everything after it uncached input. Writes cost more than input, so this
 *   is the upper bound a budget reserves.
 * - warm: the prefix through the last breakpoint is read from the cache.
 * - none: caching ignored, every prompt token is uncached input.
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import type { TokenizerFamily } from '../pricing/catalog-schema.js';
import { priceResolved, type PriceOptions, type PricedUsage } from '../pricing/cost.js';
import type { Usage } from '../pricing/usage.js';
import { analyzePrefix, type PrefixAnalysis } from './prefix.js';
import type { TokenCalibration } from './tokens.js';

export type CacheAssumption = 'cold' | 'warm' | 'none';

export interface EstimateAssumptions {
  /** Cache state for the `expected` figure (default "warm"; `worst` is always "cold"). */
  readonly cache?: CacheAssumption;
  /** Expected output tokens, e.g. a route's observed median; default: max_tokens. */
  readonly outputTokens?: number;
  /** Expected web searches for the `expected` figure (the worst case uses the tools' max_uses). Default 0. */
  readonly webSearches?: number;
  /** Price as a Message Batches request (the body itself cannot say so). */
  readonly batch?: boolean;
  /** The workspace's default inference_geo when the body has none (e.g. "us"). */
  readonly geo?: string;
}

export interface EstimateOptions {
  readonly calibration?: TokenCalibration | undefined;
  readonly assume?: EstimateAssumptions | undefined;
  /** A prefix analysis the caller already made of this body with the model's tokenizer family and tool overhead. */
  readonly prefix?: PrefixAnalysis | undefined;
}

export interface EstimateScenario {
  /** The usage object the API would report under this scenario. */
  readonly usage: Usage;
  readonly cost: PricedUsage;
}

export interface RequestEstimate {
  /** The catalog's canonical id. */
  readonly model: string;
  readonly tokenizer: TokenizerFamily;
  /** Prompt tokens before calibration (feed these to `observeEstimate` with the actual usage). */
  readonly rawInputTokens: number;
  /** Prompt tokens after calibration: uncached + cache writes + cache reads in every scenario. */
  readonly inputTokens: number;
  /** Output ceiling used by `worst`: the body's max_tokens, or the model's max output when absent. */
  readonly maxOutputTokens: number;
  /** Prompt tokens up to the last usable breakpoint (0 when nothing can be cached). */
  readonly cacheablePrefixTokens: number;
  /** Cold cache, max_tokens output, every allowed web search: the most this request can cost. */
  readonly worst: EstimateScenario;
  /** Under the assumptions (default warm cache, max_tokens output unless an expected output is given). */
  readonly expected: EstimateScenario;
  /** No caching, same output as `expected`: what the request costs if its cache_control does nothing. */
  readonly uncached: EstimateScenario;
  /** The 400 the API would answer for this request's cache_control use, if any (the estimate still stands). */
  readonly cacheError: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface CacheSplit {
  readonly write5m: number;
  readonly write1h: number;
  /** Prompt tokens through the last usable breakpoint. */
  readonly prefix: number;
}

/** Where the cold-cache writes fall: 1h through the last usable 1h breakpoint, 5m from there through the last one. */
function cacheSplit(prefix: PrefixAnalysis, minCacheable: number, scale: (n: number) => number): CacheSplit {
  let last = 0;
  let last1h = 0;
  for (const bp of prefix.breakpoints) {
    const cum = scale(bp.block.cumTokens);
    if (cum < minCacheable) continue;
    if (cum > last) last = cum;
    if (bp.ttl === '1h' && cum > last1h) last1h = cum;
  }
  return { write1h: last1h, write5m: last - last1h, prefix: last };
}

function usageFor(total: number, split: CacheSplit, cache: CacheAssumption, output: number, searches: number): Usage {
  const search = searches > 0 ? { server_tool_use: { web_search_requests: searches } } : {};
  if (cache === 'none' || split.prefix === 0) return { input_tokens: total, output_tokens: output, ...search };
  if (cache === 'warm') return { input_tokens: total - split.prefix, cache_read_input_tokens: split.prefix, output_tokens: output, ...search };
  return {
    input_tokens: total - split.prefix,
    cache_creation_input_tokens: split.write5m + split.write1h,
    cache_creation: { ephemeral_5m_input_tokens: split.write5m, ephemeral_1h_input_tokens: split.write1h },
    output_tokens: output,
    ...search,
  };
}

/** The most web searches the request's web search tools allow (their max_uses); a tool without it adds none. */
function maxWebSearches(body: Readonly<Obj>): number {
  const tools = Array.isArray(body['tools']) ? body['tools'] : [];
  let n = 0;
  for (const t of tools) {
    if (isObj(t) && typeof t['type'] === 'string' && t['type'].startsWith('web_search') && typeof t['max_uses'] === 'number') n += Math.max(0, Math.floor(t['max_uses']));
  }
  return n;
}

function priceOptions(m: CatalogModel, body: Readonly<Obj>, assume: EstimateAssumptions): PriceOptions {
  // speed "fast" is priced fast only where the model still offers it (S-SEP26: Opus 4.7 rejects it, Opus 4.6 bills standard).
  const fast = body['speed'] === 'fast' && m.entry.supports.fast && m.fast !== null && assume.batch !== true;
  const rawGeo = typeof body['inference_geo'] === 'string' ? body['inference_geo'] : assume.geo;
  // A model without inference_geo rejects the field (400, nothing billed): estimate at the standard price.
  const geo = rawGeo !== undefined && m.geo !== null && m.geo.has(rawGeo) ? rawGeo : undefined;
  return { batch: assume.batch === true, fast, ...(geo !== undefined ? { geo } : {}) };
}

/**
 * Estimates a Messages request body's cost. Throws UnknownModelError for a model the catalog does not know (never
 * guesses a price). Cheap: one pass over the body (or none, given `prefix`) and three calls of the cost engine.
 */
export function estimateRequestCost(catalog: Catalog, body: Readonly<Obj>, opts: EstimateOptions = {}): RequestEstimate {
  const m = catalog.resolve(String(body['model'] ?? ''));
  const family = m.entry.tokenizer;
  const assume = opts.assume ?? {};
  const prefix = opts.prefix ?? analyzePrefix(body as Obj, { family, toolOverhead: m.entry.tool_use_system_prompt_tokens, model: m.entry.id });
  const factor = opts.calibration?.factor(family) ?? 1;
  // The factor is a float ratio of sums; the epsilon keeps 2,015 x (2,418 / 2,015) at 2,418 rather than 2,419.
  const scale = (n: number): number => (factor === 1 ? n : Math.ceil(n * factor - 1e-9));

  const total = scale(prefix.totalTokens);
  const split = cacheSplit(prefix, m.entry.min_cacheable_tokens, scale);
  const maxTokens = typeof body['max_tokens'] === 'number' && body['max_tokens'] >= 0 ? Math.floor(body['max_tokens']) : m.entry.max_output;
  const expectedOutput = assume.outputTokens !== undefined ? Math.max(0, Math.min(Math.floor(assume.outputTokens), maxTokens)) : maxTokens;
  const popts = priceOptions(m, body, assume);
  const scenario = (cache: CacheAssumption, output: number, searches: number): EstimateScenario => {
    const usage = usageFor(total, split, cache, output, searches);
    return { usage, cost: priceResolved(m, catalog.webSearchPerSearch, usage, popts) };
  };

  return {
    model: m.entry.id,
    tokenizer: family,
    rawInputTokens: prefix.totalTokens,
    inputTokens: total,
    maxOutputTokens: maxTokens,
    cacheablePrefixTokens: split.prefix,
    worst: scenario('cold', maxTokens, maxWebSearches(body)),
    expected: scenario(assume.cache ?? 'warm', expectedOutput, Math.max(0, Math.floor(assume.webSearches ?? 0))),
    uncached: scenario('none', expectedOutput, Math.max(0, Math.floor(assume.webSearches ?? 0))),
    cacheError: prefix.error,
  };
}

/** Feeds a metered response back into the calibration: the prompt the API counted vs the uncalibrated estimate. */
export function observeEstimate(calibration: TokenCalibration, estimate: RequestEstimate, usage: Usage): void {
  const actual = (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  calibration.observe(estimate.tokenizer, estimate.rawInputTokens, actual);
}
