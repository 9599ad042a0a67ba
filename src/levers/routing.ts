/**
 * The routing lever. In observe mode (the default) it decides which model should serve each request, records the
 * decision and what it would save, and changes no byte of the request. In enforce mode it sets `body.model` to the
 * chosen model (the gateway reports the served model in `x-clawback-model` and in metering) and its saving is
 * metered: the request's real usage priced on the model the client asked for (token counts converted between
 * tokenizers) minus what it cost. Sessions are remembered so a warm cache is not thrown away (routing-decide.ts).
 */
import { priceResolved } from '../pricing/cost.js';
import { formatUsd } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';
import type { Lever, Outcome, RequestPlan } from './lever.js';
import { parseRoutingConfig, type RoutingConfig, type RoutingConfigInput } from './routing-config.js';
import { convertTokens } from './routing-cost.js';
import { compileRouting, decideRoute, type RouteDecision, type SessionModel } from './routing-decide.js';

export const MODEL_PIN_HEADER = 'x-clawback-model-pin';

export interface RoutingStats {
  readonly decided: number;
  /** Requests whose best model differs from the requested one. */
  readonly wouldChange: number;
  /** Requests actually re-routed (enforce mode). */
  readonly applied: number;
  readonly pinned: number;
  readonly byTarget: Readonly<Record<string, number>>;
  /** Sum of the estimated savings of every decision (observe and enforce), pico-dollars. */
  readonly estimatedSavingPico: bigint;
}

export interface RoutingLever extends Lever {
  readonly name: 'routing';
  readonly config: RoutingConfig;
  stats(): RoutingStats;
  /** The decision recorded for a plan this lever saw. */
  decisionFor(plan: RequestPlan): RouteDecision | undefined;
}

export interface RoutingLeverOptions {
  /** The "levers.routing" config section (raw, validated here) or an already-parsed config. */
  readonly config?: unknown;
  /** Expected output tokens for a plan (e.g. from the output budget's statistics); null when unknown. */
  readonly outputHint?: (plan: RequestPlan) => number | null;
  readonly now?: () => number;
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export function createRoutingLever({ config: raw = {}, outputHint, now = Date.now }: RoutingLeverOptions = {}): RoutingLever {
  const config = parseRoutingConfig(raw as RoutingConfigInput);
  const compiled = compileRouting(config);
  const sessions = new Map<string, SessionModel>();
  const decisions = new WeakMap<RequestPlan, { decision: RouteDecision; applied: boolean }>();
  let decided = 0;
  let wouldChange = 0;
  let applied = 0;
  let pinned = 0;
  let estimated = 0n;
  const byTarget: Record<string, number> = {};

  return {
    name: 'routing',
    mode: config.mode,
    config,
    stats: () => ({ decided, wouldChange, applied, pinned, byTarget: { ...byTarget }, estimatedSavingPico: estimated }),
    decisionFor: (plan) => decisions.get(plan)?.decision,

    plan(plan: RequestPlan): void {
      if (plan.model === null || config.mode === 'off') return;
      const sessionId = plan.attribution.sessionId;
      const d = decideRoute(
        {
          body: plan.body,
          catalog: plan.catalog,
          config,
          context: {
            tags: plan.attribution.tags,
            keyHash: plan.attribution.keyHash,
            userId: plan.attribution.userId,
            // The header, when the face passes it through; the tag `model-pin=1` (x-clawback-tags) works everywhere.
            pinHeader: truthy(plan.headers[MODEL_PIN_HEADER]) || truthy(plan.attribution.tags['model-pin']),
          },
          session: sessionId !== null ? (sessions.get(sessionId) ?? null) : null,
          now: now(),
          outputHint: outputHint?.(plan) ?? null,
        },
        compiled,
      );
      if (!d) return;
      decided++;
      if (d.pinned) pinned++;
      if (d.changed) wouldChange++;
      byTarget[d.target] = (byTarget[d.target] ?? 0) + 1;
      if (d.changed) estimated += d.estimatedSavingPico;
      const apply = config.mode === 'enforce' && d.changed;
      if (apply) {
        const target = plan.catalog.resolve(d.target);
        plan.body = { ...plan.body, model: target.entry.id };
        plan.model = target;
        applied++;
      }
      decisions.set(plan, { decision: d, applied: apply });
      plan.decisions.push({
        lever: 'routing',
        mode: config.mode,
        applied: apply,
        summary: d.changed
          ? `${d.requested} -> ${d.target} (est. ${d.estimatedSavingPico >= 0n ? 'saves' : 'costs'} ${formatUsd(d.estimatedSavingPico < 0n ? -d.estimatedSavingPico : d.estimatedSavingPico, 6)}): ${d.reasons.join('; ')}`
          : `keep ${d.requested}: ${d.reasons.join('; ')}`,
        estimatedSavingPico: (d.changed ? d.estimatedSavingPico : 0n).toString(),
        detail: {
          requested: d.requested,
          target: d.target,
          tier: d.tier,
          route: d.route,
          pinned: d.pinned,
          score: d.complexity.score,
          signals: d.complexity.reasons,
          templates: d.templates.map((t) => t.id),
          skipped: d.skipped,
        },
      });
    },

    attribute(plan: RequestPlan, outcome: Outcome): bigint | null {
      const rec = decisions.get(plan);
      if (!rec?.applied || !outcome.priced) return null;
      // What the client's own model would have billed for the same work: the same token lines, converted to the
      // requested model's tokenizer (the same text is ~30% more tokens on Claude 4.7 and later).
      const requested = plan.catalog.tryResolve(rec.decision.requested);
      const served = plan.catalog.tryResolve(outcome.priced.model);
      if (!requested || !served) return null;
      const conv = (n: number): number => convertTokens(n, served.entry.tokenizer, requested.entry.tokenizer);
      const t = outcome.priced.tokens;
      const usage: Usage = {
        input_tokens: conv(t.input),
        output_tokens: conv(t.output),
        cache_creation_input_tokens: conv(t.cache_write_5m) + conv(t.cache_write_1h),
        cache_creation: { ephemeral_5m_input_tokens: conv(t.cache_write_5m), ephemeral_1h_input_tokens: conv(t.cache_write_1h) },
        cache_read_input_tokens: conv(t.cache_read),
        server_tool_use: { web_search_requests: outcome.priced.webSearches },
      };
      const baseline = priceResolved(requested, plan.catalog.webSearchPerSearch, usage, { batch: outcome.priced.batch });
      return baseline.total - outcome.priced.total;
    },

    observe(plan: RequestPlan, outcome: Outcome): void {
      const sessionId = plan.attribution.sessionId;
      if (sessionId === null || outcome.status >= 400) return;
      const served = typeof plan.body['model'] === 'string' ? plan.catalog.tryResolve(plan.body['model']) : undefined;
      if (!served) return;
      sessions.delete(sessionId);
      sessions.set(sessionId, { model: served.entry.id, lastAt: outcome.startedAt });
      if (sessions.size > config.max_sessions) {
        const oldest = sessions.keys().next().value;
        if (oldest !== undefined) sessions.delete(oldest);
      }
    },
  };
}
