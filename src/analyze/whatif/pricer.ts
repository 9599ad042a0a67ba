/**
 * Sums what-if requests and prices them through the cost engine. For a model without price tiers, a bill is
 * linear in its token counts (every shipped rate is a whole number of pico-dollars per token, so no rounding), so
 * requests with the same model and modifiers (batch, inference_geo, fast) are summed first and priced once: the
 * same figure as pricing each, at a fraction of the cost. Tiered models (whose price depends on each request's
 * prompt length) and requests with extra billed steps are priced one by one.
 */
import type { CatalogModel } from '../../pricing/catalog.js';
import { priceResolved } from '../../pricing/cost.js';
import type { Pico } from '../../pricing/money.js';
import type { UsageIteration } from '../../pricing/usage.js';

export interface Lines {
  input: number;
  write5m: number;
  write1h: number;
  read: number;
  output: number;
}

interface Sum extends Lines {
  readonly model: CatalogModel;
  readonly batch: boolean;
  readonly geo: string | null;
  readonly fast: boolean;
  web: number;
}

export class Pricer {
  /** Per model: sums by modifiers, index (batch ? 2 : 0) + (fast ? 1 : 0), for the default inference_geo... */
  private readonly byModel = new Map<CatalogModel, (Sum | undefined)[]>();
  /** ...and by a string key for any other geo (rare). */
  private readonly byGeo = new Map<string, Sum>();
  private priced: Pico = 0n;
  /** Consecutive requests are mostly on the same model: skip the map lookup. */
  private lastModel: CatalogModel | null = null;
  private lastSlots: (Sum | undefined)[] | undefined;
  readonly tokens: Lines = { input: 0, write5m: 0, write1h: 0, read: 0, output: 0 };

  constructor(private readonly fee: Pico) {}

  add(model: CatalogModel, l: Lines, mods: { batch: boolean; geo: string | null; fast: boolean }, web: number, steps: readonly UsageIteration[], extra: Pico = 0n): void {
    const t = this.tokens;
    t.input += l.input;
    t.write5m += l.write5m;
    t.write1h += l.write1h;
    t.read += l.read;
    t.output += l.output;
    if (extra !== 0n) this.priced += extra;
    if (model.tiers.length > 0 || steps.length > 0) {
      this.priced += priceResolved(model, this.fee, usageOf(l, mods, web, steps), { batch: mods.batch }).total;
      return;
    }
    let s: Sum | undefined;
    if (mods.geo) {
      const key = `${model.entry.id}\u0000${mods.batch ? 1 : 0}${mods.fast ? 1 : 0}\u0000${mods.geo}`;
      s = this.byGeo.get(key);
      if (!s) this.byGeo.set(key, (s = newSum(model, mods)));
    } else {
      let slots = model === this.lastModel ? this.lastSlots : this.byModel.get(model);
      if (!slots) this.byModel.set(model, (slots = []));
      this.lastModel = model;
      this.lastSlots = slots;
      const at = (mods.batch ? 2 : 0) + (mods.fast ? 1 : 0);
      s = slots[at];
      if (!s) slots[at] = s = newSum(model, mods);
    }
    s.input += l.input;
    s.write5m += l.write5m;
    s.write1h += l.write1h;
    s.read += l.read;
    s.output += l.output;
    s.web += web;
  }

  total(): Pico {
    let t = this.priced;
    const all = [...this.byGeo.values(), ...[...this.byModel.values()].flat()];
    for (const s of all) if (s) t += priceResolved(s.model, this.fee, usageOf(s, s, s.web, []), { batch: s.batch }).total;
    return t;
  }
}

function newSum(model: CatalogModel, mods: { batch: boolean; geo: string | null; fast: boolean }): Sum {
  return { model, batch: mods.batch, geo: mods.geo, fast: mods.fast, input: 0, write5m: 0, write1h: 0, read: 0, output: 0, web: 0 };
}

function usageOf(l: Lines, mods: { geo: string | null; fast: boolean }, web: number, steps: readonly UsageIteration[]) {
  return {
    input_tokens: l.input,
    output_tokens: l.output,
    cache_read_input_tokens: l.read,
    cache_creation_input_tokens: l.write5m + l.write1h,
    cache_creation: { ephemeral_5m_input_tokens: l.write5m, ephemeral_1h_input_tokens: l.write1h },
    ...(web > 0 ? { server_tool_use: { web_search_requests: web } } : {}),
    ...(steps.length > 0 ? { iterations: steps } : {}),
    ...(mods.geo ? { inference_geo: mods.geo } : {}),
    ...(mods.fast ? { speed: 'fast' } : {}),
  };
}
