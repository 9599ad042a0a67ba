/**
 * Scores the routing decision against requests labelled with the smallest model that should serve them: accuracy,
 * the share routed below (cheaper than) its label, and what the routed traffic would cost against sending all of
 * it to the opus tier or to the sonnet tier. Costs come from the cost engine, in each model's own tokens, with the
 * same expected output per request for every model.
 */
import type { Catalog } from '../pricing/catalog.js';
import type { Pico } from '../pricing/money.js';
import { assessComplexity } from './complexity.js';
import type { RoutingConfig, Tier } from './routing-config.js';
import { estimateCost } from './routing-cost.js';
import { compileRouting, decideRoute, expectedOutputTokens } from './routing-decide.js';
import { requestFacts } from './routing-request.js';
import { matchTemplates } from './templates.js';

export interface LabelledItem {
  readonly id: string;
  readonly label: Tier;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface RoutingScore {
  readonly n: number;
  readonly correct: number;
  /** Routed to a smaller tier than its label (a quality risk). */
  readonly below: number;
  /** Routed to a larger tier than its label (money left on the table). */
  readonly above: number;
  readonly confusion: Readonly<Record<string, number>>;
  readonly routedPico: Pico;
  readonly allOpusPico: Pico;
  readonly allSonnetPico: Pico;
  /** Every request on the model its label names (a perfect router). */
  readonly oraclePico: Pico;
  readonly misses: readonly { readonly id: string; readonly label: Tier; readonly got: Tier | null }[];
}

const RANK: Readonly<Record<Tier, number>> = { haiku: 0, sonnet: 1, opus: 2 };

export function scoreRouting(items: readonly LabelledItem[], catalog: Catalog, config: RoutingConfig): RoutingScore {
  const compiled = compileRouting(config);
  const opus = catalog.resolve(config.models.opus);
  const sonnet = catalog.resolve(config.models.sonnet);
  let correct = 0;
  let below = 0;
  let above = 0;
  let routedPico = 0n;
  let allOpusPico = 0n;
  let allSonnetPico = 0n;
  let oraclePico = 0n;
  const confusion: Record<string, number> = {};
  const misses: { id: string; label: Tier; got: Tier | null }[] = [];
  for (const it of items) {
    const d = decideRoute({ body: it.body, catalog, config, context: { tags: {}, keyHash: null, userId: null, pinHeader: false } }, compiled);
    if (!d) throw new Error(`labelled item ${it.id} has no model the catalog knows`);
    const got = d.tier;
    const key = `${it.label}->${got ?? 'other'}`;
    confusion[key] = (confusion[key] ?? 0) + 1;
    if (got === it.label) correct++;
    else {
      misses.push({ id: it.id, label: it.label, got });
      if (got !== null && RANK[got] < RANK[it.label]) below++;
      else above++;
    }
    const facts = requestFacts(it.body);
    const shortForm = matchTemplates(compiled.compiled, facts.systemText, facts.lastUserText).some((t) => t.shortForm);
    const out = expectedOutputTokens(facts, assessComplexity(facts, config.weights), shortForm);
    const price = (id: string): Pico => estimateCost(catalog, catalog.resolve(id), it.body, { outputTokens2025: out }).totalPico;
    routedPico += price(d.target);
    allOpusPico += price(opus.entry.id);
    allSonnetPico += price(sonnet.entry.id);
    oraclePico += price(catalog.resolve(config.models[it.label]).entry.id);
  }
  return { n: items.length, correct, below, above, confusion, routedPico, allOpusPico, allSonnetPico, oraclePico, misses };
}
