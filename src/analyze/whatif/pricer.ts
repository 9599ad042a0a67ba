/**
 * Sums what-if requests and prices them through the cost engine. Where a bill is linear in its token counts (no
 * price tiers, every rate a whole number of pico-dollars per token after the batch and inference_geo multipliers:
 * price-class.ts), requests with the same model and modifiers (batch, inference_geo, fast) are summed first and
 * priced once: the same figure as pricing each, at a fraction of the cost. Other requests (a tiered model, whose
 * price depends on each request's prompt length, or extra billed steps) are priced one by one.
 */
import type { CatalogModel } from '../../pricing/catalog.js';
import { priceResolved } from '../../pricing/cost.js';
import type { Pico } from '../../pricing/money.js';
import type { UsageIteration } from '../../pricing/usage.js';
import { linearPricing } from '../price-class.js';

export interface Lines {
  input: number;
  write5m: number;
  write1h: number;
  read: number;
  output: number;
}

/** Per slot (model index x 4 + modifiers): input, 5m writes, 1h writes, reads, output, web searches. */
const W = 6;

export class Pricer {
  /** Sums for the default inference_geo, by slot; a slot's `used` is set once anything was added to it... */
  private sums = new Float64Array(W * 16);
  private used = new Uint8Array(16);
  /** ...whether the slot's rows may be summed (1), or are priced one by one (2); 0 = not asked yet... */
  private linear = new Uint8Array(16);
  /** ...and sums for any other geo (rare), by "slot geo". */
  private readonly byGeo = new Map<string, { slot: number; geo: string; sums: Float64Array }>();
  private priced: Pico = 0n;
  readonly tokens: Lines = { input: 0, write5m: 0, write1h: 0, read: 0, output: 0 };

  /** `models`: what the model indices given to `add` refer to (a list that may grow, never reorders). */
  constructor(
    private readonly models: readonly CatalogModel[],
    private readonly fee: Pico,
  ) {}

  private grow(slot: number): void {
    let n = this.used.length;
    while (n <= slot) n *= 2;
    const sums = new Float64Array(W * n);
    sums.set(this.sums);
    const used = new Uint8Array(n);
    used.set(this.used);
    const linear = new Uint8Array(n);
    linear.set(this.linear);
    this.sums = sums;
    this.used = used;
    this.linear = linear;
  }

  /** One request: model index, token lines, batch / fast, inference_geo (null: default), web searches, extra steps, extra cost. */
  add(mi: number, input: number, write5m: number, write1h: number, read: number, output: number, batch: boolean, fast: boolean, geo: string | null, web: number, steps: readonly UsageIteration[] | undefined, extra: Pico | undefined): void {
    const t = this.tokens;
    t.input += input;
    t.write5m += write5m;
    t.write1h += write1h;
    t.read += read;
    t.output += output;
    if (extra !== undefined) this.priced += extra;
    const slot = mi * 4 + (batch ? 2 : 0) + (fast ? 1 : 0);
    if (slot >= this.used.length) this.grow(slot);
    let lin = this.linear[slot]!;
    if (lin === 0) this.linear[slot] = lin = linearPricing(this.models[mi]!, batch, fast) ? 1 : 2;
    if (lin === 2 || (steps !== undefined && steps.length > 0)) {
      const l = { input, write5m, write1h, read, output };
      this.priced += priceResolved(this.models[mi]!, this.fee, usageOf(l, geo, fast, web, steps ?? []), { batch }).total;
      return;
    }
    let sums: Float64Array = this.sums;
    let o = slot * W;
    if (geo) {
      const key = `${slot}\u0000${geo}`;
      let g = this.byGeo.get(key);
      if (!g) this.byGeo.set(key, (g = { slot, geo, sums: new Float64Array(W) }));
      sums = g.sums;
      o = 0;
    } else this.used[slot] = 1;
    sums[o]! += input;
    sums[o + 1]! += write5m;
    sums[o + 2]! += write1h;
    sums[o + 3]! += read;
    sums[o + 4]! += output;
    sums[o + 5]! += web;
  }

  total(): Pico {
    let t = this.priced;
    const price = (slot: number, geo: string | null, s: Float64Array, o: number): Pico => {
      const l = { input: s[o]!, write5m: s[o + 1]!, write1h: s[o + 2]!, read: s[o + 3]!, output: s[o + 4]! };
      const fast = (slot & 1) === 1;
      return priceResolved(this.models[slot >> 2]!, this.fee, usageOf(l, geo, fast, s[o + 5]!, []), { batch: (slot & 2) !== 0 }).total;
    };
    for (const g of this.byGeo.values()) t += price(g.slot, g.geo, g.sums, 0);
    for (let slot = 0; slot < this.used.length; slot++) if (this.used[slot]) t += price(slot, null, this.sums, slot * W);
    return t;
  }
}

function usageOf(l: Lines, geo: string | null, fast: boolean, web: number, steps: readonly UsageIteration[]) {
  return {
    input_tokens: l.input,
    output_tokens: l.output,
    cache_read_input_tokens: l.read,
    cache_creation_input_tokens: l.write5m + l.write1h,
    cache_creation: { ephemeral_5m_input_tokens: l.write5m, ephemeral_1h_input_tokens: l.write1h },
    ...(web > 0 ? { server_tool_use: { web_search_requests: web } } : {}),
    ...(steps.length > 0 ? { iterations: steps } : {}),
    ...(geo ? { inference_geo: geo } : {}),
    ...(fast ? { speed: 'fast' } : {}),
  };
}
