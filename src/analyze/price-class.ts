/**
 * When the cost engine's bill is a linear function of the token counts, so that summing requests first and pricing
 * the sums once (through priceResolved, the one cost engine) gives exactly the sum of their bills, to the
 * pico-dollar.
 *
 * priceResolved prices each line as round(tokens x rate x num / den) with the ratio num/den of batch and
 * inference_geo multipliers. That is linear in `tokens` when rate x num is a multiple of den (then nothing is ever
 * rounded), and when the rates do not depend on the request: no price tiers (a tier is chosen by each request's
 * prompt length), except in fast mode, whose rates replace tiers. The per-search server-tool fee is linear too.
 * Every shipped price passes; a user's price override that does not is priced request by request instead.
 */
import type { CatalogModel, Rates } from '../pricing/catalog.js';
import { priceResolved } from '../pricing/cost.js';
import { ONE, mulRatio, type Pico, type Ratio } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';

function exact(rates: Rates, r: Ratio): boolean {
  for (const rate of [rates.input, rates.cache_write_5m, rates.cache_write_1h, rates.cache_read, rates.output]) {
    if ((rate * r.num) % r.den !== 0n) return false;
  }
  return true;
}

const cache = new WeakMap<CatalogModel, boolean[]>();

/**
 * Whether requests on model `m` with these modifiers may be summed before pricing. Every inference_geo multiplier
 * the model has is checked (whichever one the cost engine applies), so the answer does not depend on the geo.
 */
export function linearPricing(m: CatalogModel, batch: boolean, fast: boolean): boolean {
  let known = cache.get(m);
  if (!known) cache.set(m, (known = []));
  const at = (batch ? 2 : 0) + (fast ? 1 : 0);
  let v = known[at];
  if (v === undefined) {
    const rates = fast ? m.fast : m.tiers.length === 0 ? m.standard : null;
    const base = batch ? m.batch : ONE;
    v = rates !== null && [ONE, ...(m.geo?.values() ?? [])].every((g) => exact(rates, mulRatio(base, g)));
    known[at] = v;
  }
  return v;
}

/** Rows on one model with the same modifiers (batch, fast, inference_geo): they price the same way. */
export interface PriceClass {
  /** The model id as logged (named in a price failure). */
  readonly logged: string;
  readonly m: CatalogModel;
  readonly batch: boolean;
  readonly fast: boolean;
  readonly geo: string | null;
  /** Why every row of the class fails to price (the cost engine's CostError), or null. */
  readonly failure: string | null;
  /** Rows may be summed and priced once (price-class.ts); otherwise each is priced on its own. */
  readonly linear: boolean;
}

/** Token sums of one price class inside a cell: priced once, when every row is in. */
export interface ClassSum {
  readonly cls: PriceClass;
  input: number;
  w5: number;
  w1h: number;
  read: number;
  output: number;
  web: number;
  /** Cache writes never read (wastedWrites), 5m and 1h. */
  wasted5: number;
  wasted1h: number;
}

export function usageOf(c: PriceClass, l: { input: number; w5: number; w1h: number; read: number; output: number }, web: number): Usage {
  return {
    input_tokens: l.input,
    output_tokens: l.output,
    cache_creation_input_tokens: l.w5 + l.w1h,
    cache_creation: { ephemeral_5m_input_tokens: l.w5, ephemeral_1h_input_tokens: l.w1h },
    cache_read_input_tokens: l.read,
    server_tool_use: { web_search_requests: web },
    service_tier: c.batch ? 'batch' : null,
    speed: c.fast ? 'fast' : null,
    inference_geo: c.geo,
  };
}

/** What `w5` + `w1h` cache-write tokens cost above sending the same tokens uncached (priced as the engine would). */
export function writePremium(c: PriceClass, w5: number, w1h: number): Pico {
  const mods = { service_tier: c.batch ? 'batch' : null, inference_geo: c.geo, speed: c.fast ? 'fast' : null };
  const asWrite = priceResolved(c.m, 0n, { cache_creation_input_tokens: w5 + w1h, cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1h }, ...mods });
  const asInput = priceResolved(c.m, 0n, { input_tokens: w5 + w1h, ...mods });
  return asWrite.total - asInput.total;
}
