/**
 * The prompt-pricing recommender behind `clawback recommend`: for one request body (or one metered request from the
 * gateway store) it prices every model that can serve it — without caching, with its stable prefix cached, and in
 * a batch — and recommends a plan (model, max_tokens, cache, batch) with its reasons. It uses the routing decision,
 * the per-tokenizer cost estimate and the cost engine; nothing is priced anywhere else.
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import { priceResolved } from '../pricing/cost.js';
import { formatUsd, type Pico } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';
import type { UsageRecord } from '../store/record.js';
import { assessComplexity } from './complexity.js';
import { missingCapabilities } from './routing-capabilities.js';
import type { RoutingConfig } from './routing-config.js';
import { convertTokens, estimateCost, promptShape, type CostEstimate } from './routing-cost.js';
import { compileRouting, decideRoute, expectedOutputTokens } from './routing-decide.js';
import { requestFacts } from './routing-request.js';
import { matchTemplates } from './templates.js';

export interface PlanOption {
  readonly model: string;
  readonly standardPico: Pico;
  /** With the stable prefix read from the cache (steady state; the first request writes it). */
  readonly cachedPico: Pico;
  /** Through the Message Batches API, without caching. */
  readonly batchPico: Pico;
}

export interface Recommendation {
  readonly requested: string | null;
  readonly promptTokens: number;
  readonly recommended: {
    readonly model: string;
    readonly maxTokens: number | null;
    readonly cache: boolean;
    readonly batch: boolean;
    readonly costPico: Pico;
    readonly reasons: readonly string[];
  };
  /** Cheapest first. */
  readonly options: readonly PlanOption[];
}

export interface RecommendOptions {
  readonly catalog: Catalog;
  readonly routing: RoutingConfig;
  /** The answers can wait (up to 24 hours): recommend the batch API. */
  readonly batchable?: boolean;
}

const LISTED = new Set(['active', 'limited']);

function candidates(catalog: Catalog, requested: CatalogModel | undefined): CatalogModel[] {
  const out = new Map<string, CatalogModel>();
  if (requested) out.set(requested.entry.id, requested);
  for (const e of catalog.models()) if (LISTED.has(e.status)) out.set(e.id, catalog.resolve(e.id));
  return [...out.values()];
}

const byCost = (a: PlanOption, b: PlanOption): number => (a.standardPico < b.standardPico ? -1 : a.standardPico > b.standardPico ? 1 : a.model.localeCompare(b.model));

export function recommendForBody(body: Readonly<Record<string, unknown>>, opts: RecommendOptions): Recommendation {
  const { catalog, routing } = opts;
  const facts = requestFacts(body);
  const requested = facts.model !== null ? catalog.tryResolve(facts.model) : undefined;
  const compiled = compileRouting(routing);
  const complexity = assessComplexity(facts, routing.weights);
  const shortForm = matchTemplates(compiled.compiled, facts.systemText, facts.lastUserText).some((t) => t.shortForm);
  const expected = expectedOutputTokens(facts, complexity, shortForm);
  const est = (m: CatalogModel, cache: 'none' | 'warm', batch = false): CostEstimate => estimateCost(catalog, m, body, { outputTokens2025: expected, cache, batch });

  const options: PlanOption[] = candidates(catalog, requested)
    .filter((m) => missingCapabilities(facts, promptShape(body, m).promptTokens, m).length === 0)
    .map((m) => ({ model: m.entry.id, standardPico: est(m, 'none').totalPico, cachedPico: est(m, 'warm').totalPico, batchPico: est(m, 'none', true).totalPico }))
    .sort(byCost);

  // The model: the routing decision for this body (a body naming no known model is routed from the default tier).
  const routed = decideRoute({
    body: requested ? body : { ...body, model: routing.models[routing.default_tier] },
    catalog, config: routing, context: { tags: {}, keyHash: null, userId: null, pinHeader: false },
  }, compiled);
  const target = catalog.resolve(routed?.target ?? routing.models[routing.default_tier]);
  const reasons: string[] = [...(routed?.reasons ?? [])];

  // max_tokens: twice the output expected for this kind of request, within the client's and the model's limits.
  let maxTokens = facts.maxTokens;
  if (facts.thinking === null) {
    const suggested = Math.min(target.entry.max_output, Math.max(256, expected * 2));
    if (maxTokens === null || suggested < maxTokens) {
      maxTokens = suggested;
      reasons.push(`max_tokens ${suggested}: ~${expected} output tokens expected for this kind of request, with 2x headroom (the output budget learns the real figure per route)`);
    }
  }

  const shape = est(target, 'warm');
  const cache = shape.cacheablePrefixTokens > 0;
  const { prefixTokens } = promptShape(body, target);
  reasons.push(
    cache
      ? `cache the ${shape.cacheablePrefixTokens}-token stable prefix: after one write at 1.25x, each reuse within 5 minutes reads it at 0.1x`
      : prefixTokens > 0
        ? `no caching: the ${prefixTokens}-token stable prefix is below ${target.entry.id}'s ${target.entry.min_cacheable_tokens}-token minimum`
        : 'no caching: nothing precedes the last user turn',
  );
  const batch = opts.batchable === true;
  const planned = (b: boolean): Pico => est(target, cache ? 'warm' : 'none', b).totalPico;
  const cost = planned(batch);
  const batchSaving = planned(false) - planned(true);
  reasons.push(batch ? `batch: 50% off every line, answers within 24 hours (saves ${formatUsd(batchSaving, 6)})` : `no batch: it would save ${formatUsd(batchSaving, 6)} if the answer can wait (--batchable)`);
  return {
    requested: requested?.entry.id ?? facts.model,
    promptTokens: promptShape(body, target).promptTokens,
    recommended: { model: target.entry.id, maxTokens, cache, batch, costPico: cost, reasons },
    options,
  };
}

/** A metered request from the store: its real token counts, converted to each model's tokenizer. */
export function recommendForRecord(rec: UsageRecord, opts: RecommendOptions): Recommendation | null {
  const { catalog } = opts;
  const served = rec.servedModel !== null ? catalog.tryResolve(rec.servedModel) : undefined;
  if (!served || rec.usage === null) return null;
  const prompt = rec.inputTokens + rec.cacheWrite5mTokens + rec.cacheWrite1hTokens + rec.cacheReadTokens;
  const price = (m: CatalogModel, cached: boolean, batch: boolean): Pico => {
    const c = (n: number): number => convertTokens(n, served.entry.tokenizer, m.entry.tokenizer);
    const u: Usage = cached
      ? {
          input_tokens: c(rec.inputTokens), output_tokens: c(rec.outputTokens), cache_read_input_tokens: c(rec.cacheReadTokens),
          cache_creation_input_tokens: c(rec.cacheWrite5mTokens) + c(rec.cacheWrite1hTokens),
          cache_creation: { ephemeral_5m_input_tokens: c(rec.cacheWrite5mTokens), ephemeral_1h_input_tokens: c(rec.cacheWrite1hTokens) },
        }
      : { input_tokens: c(prompt), output_tokens: c(rec.outputTokens) };
    return priceResolved(m, catalog.webSearchPerSearch, u, { batch }).total;
  };
  const options = candidates(catalog, served)
    .filter((m) => c2(prompt, served, m) + (rec.maxTokens ?? 0) <= m.entry.context_window)
    .map((m) => ({ model: m.entry.id, standardPico: price(m, false, false), cachedPico: price(m, true, false), batchPico: price(m, false, true) }))
    .sort(byCost);
  const routing = rec.decisions.find((d) => d.lever === 'routing');
  const output = rec.decisions.find((d) => d.lever === 'output');
  const targetId = typeof routing?.detail?.['target'] === 'string' ? routing.detail['target'] : served.entry.id;
  const target = catalog.tryResolve(targetId) ?? served;
  const reasons: string[] = routing ? [routing.summary] : [`no routing decision recorded: keeping ${served.entry.id}`];
  const cap = typeof output?.detail?.['cap'] === 'number' ? output.detail['cap'] : null;
  if (output) reasons.push(output.summary);
  const cache = price(target, true, false) < price(target, false, false);
  reasons.push(cache ? 'caching already pays on this request (its cache reads)' : 'no cache reads on this request');
  const batch = opts.batchable === true;
  return {
    requested: rec.requestedModel,
    promptTokens: prompt,
    recommended: { model: target.entry.id, maxTokens: cap ?? rec.maxTokens, cache, batch, costPico: price(target, cache, batch), reasons },
    options,
  };
}

function c2(n: number, from: CatalogModel, to: CatalogModel): number {
  return convertTokens(n, from.entry.tokenizer, to.entry.tokenizer);
}
