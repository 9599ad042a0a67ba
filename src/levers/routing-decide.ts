/**
 * The routing decision, as a pure function: which model should serve a request, and why. Order of reasoning:
 * 1. a pin (header, key, user or route) keeps the client's model;
 * 2. the first configured route that matches gives the default model (else the default tier, Sonnet);
 * 3. the complexity check escalates to the opus tier; a short-form template with a low score demotes to haiku;
 * 4. a model that lacks anything the request uses is skipped for the next larger tier;
 * 5. costs are compared in each model's own tokens; a session keeps its warm model unless switching pays for
 *    re-writing its cache (escalation for quality is never held back by stickiness).
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import { formatUsd, type Pico } from '../pricing/money.js';
import { assessComplexity, type ComplexityResult } from './complexity.js';
import { missingCapabilities } from './routing-capabilities.js';
import type { RouteMatch, RoutingConfig, Tier } from './routing-config.js';
import { estimateCost, shapeMemo } from './routing-cost.js';
import { requestFacts, type RequestFacts } from './routing-request.js';
import { compileTemplates, matchTemplates, type TemplateMatch } from './templates.js';

export interface RouteContext {
  readonly tags: Readonly<Record<string, string>>;
  readonly keyHash: string | null;
  readonly keyLast4?: string | null;
  readonly userId: string | null;
  /** `x-clawback-model-pin` was sent. */
  readonly pinHeader: boolean;
}

export interface SessionModel {
  readonly model: string;
  readonly lastAt: number;
}

export interface RouteDecision {
  readonly requested: string;
  readonly target: string;
  readonly changed: boolean;
  readonly tier: Tier | null;
  readonly route: string | null;
  readonly pinned: boolean;
  readonly complexity: ComplexityResult;
  readonly templates: readonly TemplateMatch[];
  readonly reasons: readonly string[];
  /** Models skipped because they lack something the request uses. */
  readonly skipped: readonly { readonly model: string; readonly why: readonly string[] }[];
  readonly requestedCostPico: Pico;
  readonly targetCostPico: Pico;
  /** requested - target (positive: the route saves money). */
  readonly estimatedSavingPico: Pico;
}

export interface DecideInput {
  readonly body: Readonly<Record<string, unknown>>;
  readonly catalog: Catalog;
  readonly config: RoutingConfig;
  readonly context: RouteContext;
  readonly session?: SessionModel | null;
  readonly now?: number;
  /** Expected output tokens (2025 tokenizer) when known, e.g. from the output budget's statistics. */
  readonly outputHint?: number | null;
}

export type CompiledRouting = RoutingConfig & { readonly compiled: ReturnType<typeof compileTemplates> };

export function compileRouting(config: RoutingConfig): CompiledRouting {
  return { ...config, compiled: compileTemplates(config.templates, config.builtin_templates) };
}

/** Whether a route's match holds for a request (shared with the output budget's routes). */
export function routeMatches(m: RouteMatch, facts: RequestFacts, ctx: RouteContext, templates: readonly TemplateMatch[], promptTokens: number): boolean {
  if (m.tags && !Object.entries(m.tags).every(([k, v]) => ctx.tags[k] === v)) return false;
  if (m.key !== undefined && m.key !== ctx.keyHash && m.key !== ctx.keyLast4) return false;
  if (m.user_id !== undefined && m.user_id !== (facts.metadataUserId ?? ctx.userId)) return false;
  if (m.template !== undefined && !templates.some((t) => t.id === m.template)) return false;
  if (m.pattern !== undefined) {
    const re = new RegExp(m.pattern, 'is');
    const sys = m.on !== 'user' && re.test(facts.systemText);
    const usr = m.on !== 'system' && re.test(facts.lastUserText);
    if (!sys && !usr) return false;
  }
  const f = m.features;
  if (f) {
    if (f.tools !== undefined && f.tools !== facts.tools > 0) return false;
    if (f.images !== undefined && f.images !== facts.images + facts.documents > 0) return false;
    if (f.thinking !== undefined && f.thinking !== (facts.thinking !== null)) return false;
    if (f.stream !== undefined && f.stream !== facts.stream) return false;
    if (f.min_prompt_tokens !== undefined && promptTokens < f.min_prompt_tokens) return false;
    if (f.max_prompt_tokens !== undefined && promptTokens > f.max_prompt_tokens) return false;
  }
  return true;
}

/** Output tokens to expect when nothing was learned yet (2025 tokenizer), never above max_tokens. */
export function expectedOutputTokens(facts: RequestFacts, c: ComplexityResult, shortForm: boolean): number {
  let guess = 600;
  if (c.reasons.some((r) => r.signal === 'short output')) guess = 20;
  else if (shortForm) guess = 150;
  else if (c.reasons.some((r) => r.signal === 'long output' || r.signal === 'proof')) guess = 2500;
  if (facts.thinkingBudget !== null) guess += Math.min(facts.thinkingBudget, 8000);
  return facts.maxTokens !== null ? Math.max(1, Math.min(facts.maxTokens, guess)) : guess;
}

const LADDER: readonly Tier[] = ['haiku', 'sonnet', 'opus'];
const FAMILY_RANK: Readonly<Record<CatalogModel['entry']['family'], number>> = { haiku: 0, sonnet: 1, opus: 2, mythos: 3, fable: 3 };

function tierOf(catalog: Catalog, config: RoutingConfig, model: CatalogModel): Tier | null {
  for (const t of LADDER) if (catalog.tryResolve(config.models[t])?.entry.id === model.entry.id) return t;
  return null;
}

export function decideRoute(input: DecideInput, compiled: CompiledRouting = compileRouting(input.config)): RouteDecision | null {
  const { body, catalog, config, context: ctx } = input;
  const facts = requestFacts(body);
  if (facts.model === null) return null;
  const requested = catalog.tryResolve(facts.model);
  if (!requested) return null;
  const complexity = assessComplexity(facts, config.weights);
  const templates = matchTemplates(compiled.compiled, facts.systemText, facts.lastUserText);
  const smallBudget = facts.maxTokens !== null && facts.maxTokens > 0 && facts.maxTokens <= config.demote_max_tokens;
  const shortForm = templates.some((t) => t.shortForm) || smallBudget;
  const reasons: string[] = [];
  const skipped: { model: string; why: string[] }[] = [];
  const outputTokens = input.outputHint ?? expectedOutputTokens(facts, complexity, shortForm);
  const shape = shapeMemo(body);
  const cost = (m: CatalogModel, cache: 'none' | 'write' | 'warm' = 'none'): Pico =>
    estimateCost(catalog, m, body, { outputTokens2025: outputTokens, cache, shape: shape(m) }).totalPico;
  const requestedCost = cost(requested);
  const promptTokens2025 = complexity.promptTokens;
  const route = config.routes.find((r) => routeMatches(r.match, facts, ctx, templates, promptTokens2025)) ?? null;
  const result = (target: CatalogModel, tier: Tier | null, pinned: boolean): RouteDecision => {
    const targetCost = target.entry.id === requested.entry.id ? requestedCost : cost(target);
    return {
      requested: requested.entry.id, target: target.entry.id, changed: target.entry.id !== requested.entry.id, tier,
      route: route?.name ?? null, pinned, complexity, templates, reasons, skipped,
      requestedCostPico: requestedCost, targetCostPico: targetCost, estimatedSavingPico: requestedCost - targetCost,
    };
  };

  const pinnedBy = ctx.pinHeader
    ? 'x-clawback-model-pin header'
    : ctx.keyHash !== null && config.pins.keys.some((k) => k === ctx.keyHash || k === ctx.keyLast4)
      ? 'pinned key'
      : (facts.metadataUserId ?? ctx.userId) !== null && config.pins.users.includes((facts.metadataUserId ?? ctx.userId)!)
        ? 'pinned user'
        : route?.pin
          ? `route "${route.name}" is pinned`
          : null;
  if (pinnedBy) {
    reasons.push(`model pinned (${pinnedBy})`);
    return result(requested, tierOf(catalog, config, requested), true);
  }

  // 2-3: the candidate tier.
  const base = route?.model !== undefined ? catalog.tryResolve(route.model) : undefined;
  if (route) reasons.push(`route "${route.name}"${base ? ` defaults to ${base.entry.id}` : ''}`);
  let tier: Tier | null = base ? tierOf(catalog, config, base) : config.default_tier;
  let candidate: CatalogModel | undefined = base ?? catalog.tryResolve(config.models[config.default_tier]);
  const top = complexity.reasons.slice().sort((a, b) => Math.abs(b.points) - Math.abs(a.points)).slice(0, 3);
  const why = top.map((r) => `${r.signal} (${r.detail})`).join(', ') || 'no complexity signal';
  let escalated = false;
  if ((route?.escalate ?? true) && complexity.score >= config.escalate_at) {
    tier = 'opus';
    candidate = catalog.tryResolve(config.models.opus);
    escalated = true;
    reasons.push(`complexity ${complexity.score} >= ${config.escalate_at}: ${why}`);
  } else if ((route?.demote ?? true) && shortForm && complexity.score < config.demote_below) {
    tier = 'haiku';
    candidate = catalog.tryResolve(config.models.haiku);
    const t = templates.find((x) => x.shortForm);
    const what = t ? `short-form template ${t.id} ("${t.matched}")` : `short answer (max_tokens ${facts.maxTokens} <= ${config.demote_max_tokens})`;
    reasons.push(`${what} and complexity ${complexity.score} < ${config.demote_below}`);
  } else {
    reasons.push(`complexity ${complexity.score}: ${why}`);
  }
  if (!candidate) {
    reasons.push('the tier model is not in the catalog; keeping the requested model');
    return result(requested, null, false);
  }

  // 4: capabilities, walking up the ladder.
  const fits = (m: CatalogModel): boolean => {
    const why = missingCapabilities(facts, shape(m).promptTokens, m);
    if (why.length > 0) skipped.push({ model: m.entry.id, why });
    return why.length === 0;
  };
  if (!fits(candidate)) {
    const start = tier === null ? 0 : LADDER.indexOf(tier) + 1;
    let found: CatalogModel | undefined;
    for (const t of LADDER.slice(start)) {
      const m = catalog.tryResolve(config.models[t]);
      if (m && fits(m)) {
        found = m;
        tier = t;
        break;
      }
    }
    if (!found) {
      reasons.push(`${candidate.entry.id} cannot serve it (${skipped.at(-1)?.why.join('; ') ?? ''}); keeping the requested model`);
      return result(requested, tierOf(catalog, config, requested), false);
    }
    reasons.push(`${candidate.entry.id} cannot serve it (${skipped[0]?.why.join('; ') ?? ''}): ${found.entry.id} instead`);
    candidate = found;
  }

  // 5: cost and stickiness. Only the complexity check may make a request dearer; an escalation never moves a
  // request already on a model of the opus family or above (e.g. a newer Opus) to the configured opus model.
  if (candidate.entry.id !== requested.entry.id) {
    const candCost = cost(candidate);
    if (escalated && FAMILY_RANK[requested.entry.family] >= FAMILY_RANK.opus) {
      reasons.push(`${requested.entry.id} is already an ${requested.entry.family}-family model: keeping it`);
      return result(requested, tierOf(catalog, config, requested), false);
    }
    const routeChoice = base !== undefined && candidate.entry.id === base.entry.id; // the operator's explicit choice
    if (candCost > requestedCost && !routeChoice && (!escalated || !config.allow_upgrade)) {
      reasons.push(escalated
        ? `${candidate.entry.id} would cost more than ${requested.entry.id} and upgrades are off`
        : `${candidate.entry.id} would cost more than the requested ${requested.entry.id}: keeping it (only the complexity check upgrades)`);
      return result(requested, tierOf(catalog, config, requested), false);
    }
  }
  const now = input.now ?? Date.now();
  const s = input.session;
  if (config.sticky && s && now - s.lastAt < config.session_warm_ms && s.model !== candidate.entry.id && !escalated) {
    const current = catalog.tryResolve(s.model);
    if (current && missingCapabilities(facts, shape(current).promptTokens, current).length === 0) {
      const stay = cost(current, 'warm');
      const move = cost(candidate, 'write');
      if (move >= stay) {
        reasons.push(`session is warm on ${current.entry.id}: switching to ${candidate.entry.id} would cost ${formatUsd(move, 6)} vs ${formatUsd(stay, 6)} (cache re-write), staying`);
        return result(current, tierOf(catalog, config, current), false);
      }
      reasons.push(`switching the warm session from ${current.entry.id} pays even after re-writing the cache`);
    }
  }
  return result(candidate, tier, false);
}
