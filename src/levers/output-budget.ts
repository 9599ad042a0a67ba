/**
 * The output-budget lever. It learns each route's output-length distribution from metered responses (in every
 * mode) and, in enforce mode, sets `max_tokens` to a cap derived from it (the configured quantile times a margin;
 * never above the client's own value or the model's limit), adds configured stop sequences (e.g. `</answer>`) and
 * a per-route `output_config.effort` where the model supports it. In observe mode it records what it would have
 * done and changes no byte. It counts the truncations its caps caused (`stop_reason: "max_tokens"` where the
 * client's own limit was higher); output-budget-continue.ts turns such an answer back into a whole one.
 *
 * A route is a configured output route (by name), else the request's `route`/`feature` tag, else its system prompt,
 * per model.
 */
import { hash as digest } from 'node:crypto';
import { priceResolved } from '../pricing/cost.js';
import type { Lever, Outcome, RequestPlan } from './lever.js';
import { parseOutputConfig, type OutputConfig, type OutputRoute } from './output-budget-config.js';
import { capFor, OutputLengths } from './output-budget-stats.js';
import { convertTokens } from './routing-cost.js';
import { routeMatches } from './routing-decide.js';
import { RecentTexts } from './recent-texts.js';
import { requestFacts } from './routing-request.js';
import { compileTemplates, matchTemplates } from './templates.js';
import { charTokens } from '../wire/tokens.js';

export interface OutputPlanDecision {
  readonly route: string;
  readonly clientMax: number | null;
  readonly cap: number | null;
  /** Stop sequences this lever adds (not the client's own). */
  readonly addedStops: readonly string[];
  readonly effort: string | null;
  readonly applied: boolean;
  readonly continueTruncated: boolean;
}

export interface OutputStats {
  readonly requests: number;
  readonly capped: number;
  /** Answers cut by our cap (the client's own limit was higher). */
  readonly truncatedByCap: number;
  /** Answers cut by the client's own max_tokens. */
  readonly truncatedByClient: number;
  readonly continued: number;
  readonly routes: Readonly<Record<string, { readonly samples: number; readonly p50: number | null; readonly p99: number | null }>>;
}

export interface OutputBudgetLever extends Lever {
  readonly name: 'output';
  readonly config: OutputConfig;
  stats(): OutputStats;
  decisionFor(plan: RequestPlan): OutputPlanDecision | undefined;
  /** Expected output tokens for a plan's route (its median, in the 2025 tokenizer's count), for routing; null when unknown. */
  expectedOutput(plan: RequestPlan): number | null;
  /** Tell the lever that an answer it truncated was continued (by the gateway or SDK wrapper). */
  noteContinuation(plan: RequestPlan): void;
}

export interface OutputBudgetOptions {
  /** The "levers.output" config section (validated here). */
  readonly config?: unknown;
}

/** A system prompt's route name: the first 12 hex digits of its sha256, kept for the last 32 prompts. */
const routeHashes = new RecentTexts((s: string) => digest('sha256', s, 'hex').slice(0, 12));
const hash = (s: string): string => routeHashes.get(s);

export function createOutputBudgetLever({ config: raw = {} }: OutputBudgetOptions = {}): OutputBudgetLever {
  const config = parseOutputConfig(raw);
  const templates = compileTemplates([], false);
  const lengths = new Map<string, OutputLengths>();
  /** Answers observed without any stop sequence of ours: what a route's answers cost before the lever. */
  const baseline = new Map<string, OutputLengths>();
  const decisions = new WeakMap<RequestPlan, OutputPlanDecision>();
  let requests = 0;
  let capped = 0;
  let truncatedByCap = 0;
  let truncatedByClient = 0;
  let continued = 0;

  /**
   * A request's route, without the model: read from the client's own body (what routes match on — prompt, tags,
   * features — is never changed by a lever) and once per request, as routing's output hint asks first.
   */
  const routes = new WeakMap<RequestPlan, { prefix: string; route: OutputRoute | null }>();
  const routeBase = (plan: RequestPlan): { prefix: string; route: OutputRoute | null } => {
    const known = routes.get(plan);
    if (known) return known;
    const facts = requestFacts(plan.original);
    const a = plan.attribution;
    const ctx = { tags: a.tags, keyHash: a.keyHash, userId: a.userId, pinHeader: false };
    const matched = matchTemplates(templates, facts.systemText, facts.lastUserText);
    const route = config.routes.find((r) => routeMatches(r.match, facts, ctx, matched, charTokens(facts.allTextChars, 'claude-2025'))) ?? null;
    const tag = a.tags['route'] ?? a.tags['feature'];
    const prefix = route ? route.name : tag !== undefined ? `tag:${tag}` : `system:${hash(facts.systemText.slice(0, 4000))}|tools:${facts.tools}`;
    const base = { prefix, route };
    routes.set(plan, base);
    return base;
  };
  const routeOf = (plan: RequestPlan): { key: string; route: OutputRoute | null } => {
    const { prefix, route } = routeBase(plan);
    return { key: `${prefix}|${plan.model?.entry.id ?? String(plan.body['model'] ?? '')}`, route };
  };
  const ring = (m: Map<string, OutputLengths>, key: string): OutputLengths => {
    let r = m.get(key);
    if (!r) {
      r = new OutputLengths(config.window);
      m.set(key, r);
      if (m.size > config.max_routes) {
        const oldest = m.keys().next().value;
        if (oldest !== undefined) m.delete(oldest);
      }
    }
    return r;
  };

  return {
    name: 'output',
    mode: config.mode,
    config,
    decisionFor: (plan) => decisions.get(plan),
    noteContinuation: () => {
      continued++;
    },
    expectedOutput(plan) {
      const l = lengths.get(routeOf(plan).key);
      const q = l && l.size >= config.min_samples ? l.quantile(0.5) : null;
      // Learned in the route's model's tokens; routing compares in the 2025 tokenizer's.
      return q === null || plan.model === null ? q : convertTokens(q, plan.model.entry.tokenizer, 'claude-2025');
    },
    stats() {
      const routes: Record<string, { samples: number; p50: number | null; p99: number | null }> = {};
      for (const [k, l] of lengths) routes[k] = { samples: l.observed, p50: l.quantile(0.5), p99: l.quantile(0.99) };
      return { requests, capped, truncatedByCap, truncatedByClient, continued, routes };
    },

    plan(plan) {
      if (plan.model === null || config.mode === 'off') return;
      requests++;
      const body = plan.body;
      const { key, route } = routeOf(plan);
      const clientMax = typeof body['max_tokens'] === 'number' ? body['max_tokens'] : null;
      const thinking = typeof body['thinking'] === 'object' && body['thinking'] !== null && (body['thinking'] as Record<string, unknown>)['type'] !== 'disabled';
      const notes: string[] = [];

      // The cap: only when the client gave a limit (a zero is cache pre-warming) and without thinking, whose
      // budget must stay below max_tokens and whose length says nothing about the answer's.
      let cap: number | null = null;
      if (clientMax !== null && clientMax > 0 && !thinking) {
        cap = route?.cap !== undefined
          ? route.cap < clientMax ? Math.min(route.cap, plan.model.entry.max_output) : null
          : capFor({
              lengths: ring(lengths, key), quantile: route?.quantile ?? config.quantile, margin: route?.margin ?? config.margin,
              minSamples: config.min_samples, minCap: config.min_cap, clientMax, modelMax: plan.model.entry.max_output,
            });
        if (cap !== null) notes.push(`max_tokens ${clientMax} -> ${cap} (${route?.cap !== undefined ? 'fixed' : `p${Math.round((route?.quantile ?? config.quantile) * 100)} x ${route?.margin ?? config.margin}`})`);
        else if ((lengths.get(key)?.size ?? 0) < config.min_samples && route?.cap === undefined) notes.push(`learning (${lengths.get(key)?.size ?? 0}/${config.min_samples} answers)`);
      } else if (thinking) notes.push('thinking on: max_tokens left alone');

      const own = Array.isArray(body['stop_sequences']) ? body['stop_sequences'].filter((s): s is string => typeof s === 'string') : [];
      const addedStops = [...new Set([...config.stop_sequences, ...(route?.stop_sequences ?? [])])].filter((s) => !own.includes(s));
      if (addedStops.length > 0) notes.push(`stop sequences +${JSON.stringify(addedStops)}`);

      const oc = typeof body['output_config'] === 'object' && body['output_config'] !== null ? (body['output_config'] as Record<string, unknown>) : {};
      let effort: string | null = null;
      if (route?.effort !== undefined && oc['effort'] === undefined) {
        if ((plan.model.entry.supports.effort as readonly string[]).includes(route.effort)) {
          effort = route.effort;
          notes.push(`effort ${effort}`);
        } else notes.push(`${plan.model.entry.id} has no effort "${route.effort}"`);
      }

      const changes = cap !== null || addedStops.length > 0 || effort !== null;
      const apply = config.mode === 'enforce' && changes;
      if (apply) {
        const next: Record<string, unknown> = { ...body };
        if (cap !== null) next['max_tokens'] = cap;
        if (addedStops.length > 0) next['stop_sequences'] = [...own, ...addedStops];
        if (effort !== null) next['output_config'] = { ...oc, effort };
        plan.body = next;
        if (cap !== null) capped++;
      }
      const decision: OutputPlanDecision = {
        route: key, clientMax, cap, addedStops, effort, applied: apply,
        continueTruncated: route?.continue ?? config.continue_truncated,
      };
      decisions.set(plan, decision);
      plan.decisions.push({
        lever: 'output',
        mode: config.mode,
        applied: apply,
        summary: `${route ? `route "${route.name}"` : 'route by ' + key.split('|')[0]}: ${notes.join('; ') || 'nothing to change'}`,
        detail: { route: key, client_max_tokens: clientMax, cap, added_stop_sequences: addedStops, effort },
      });
    },

    attribute(plan: RequestPlan, outcome: Outcome): bigint | null {
      // A cap saves nothing by itself (an answer is billed for what it generated); a stop sequence of ours that
      // ended an answer saves what the route's answers ran to without it (their median, once known).
      const d = decisions.get(plan);
      if (!d?.applied || d.addedStops.length === 0 || outcome.stopReason !== 'stop_sequence' || !outcome.priced) return null;
      const base = baseline.get(d.route);
      if (!base || base.size < config.min_samples) return null;
      const before = base.quantile(0.5) ?? 0;
      const saved = Math.floor(before - outcome.priced.tokens.output);
      if (saved <= 0 || plan.model === null) return null;
      return priceResolved(plan.model, plan.catalog.webSearchPerSearch, { output_tokens: saved }, { batch: outcome.priced.batch }).total;
    },

    observe(plan: RequestPlan, outcome: Outcome): void {
      const d = decisions.get(plan);
      if (!d || outcome.status >= 400 || !outcome.priced) return;
      const out = outcome.priced.tokens.output;
      const sentMax = typeof plan.body['max_tokens'] === 'number' ? plan.body['max_tokens'] : null;
      const ours = d.applied && d.cap !== null && sentMax !== null && d.clientMax !== null && sentMax < d.clientMax;
      const r = ring(lengths, d.route);
      if (outcome.stopReason === 'max_tokens' && ours) {
        truncatedByCap++;
        r.add(2 * (sentMax ?? out)); // censored: longer than the cap, by an unknown amount
        return;
      }
      if (outcome.stopReason === 'max_tokens') truncatedByClient++;
      r.add(out);
      if (!(d.applied && d.addedStops.length > 0)) ring(baseline, d.route).add(out);
    },
  };
}
