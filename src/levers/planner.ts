/**
 * The planner runs the levers on each request, in a fixed order, and settles what each saved once the response is
 * metered. It is where levers interact: a lever sees the decisions of those before it in `plan.decisions`.
 * `x-clawback-optimize: off` (read by the gateway / SDK wrapper) skips the planner entirely.
 */
import type { LeverName } from '../store/record.js';
import type { Lever, Outcome, RequestPlan } from './lever.js';

export interface Settlement {
  readonly savingsPico: Partial<Record<LeverName, bigint>>;
  /** cost + every lever's saving: what the client's own request would have cost. */
  readonly baselinePico: bigint;
}

export interface Planner {
  readonly levers: readonly Lever[];
  plan(plan: RequestPlan): Promise<void>;
  settle(plan: RequestPlan, outcome: Outcome): Settlement;
}

export function createPlanner(levers: readonly Lever[]): Planner {
  const active = levers.filter((l) => l.mode !== 'off');
  return {
    levers: active,
    async plan(plan) {
      if (plan.model === null) return; // unknown model: nothing can be weighed, the request passes untouched
      for (const l of active) await l.plan(plan);
    },
    settle(plan, outcome) {
      const savingsPico: Partial<Record<LeverName, bigint>> = {};
      let total = 0n;
      for (const l of active) {
        const s = l.attribute?.(plan, outcome) ?? null;
        if (s !== null && s !== 0n) {
          savingsPico[l.name] = (savingsPico[l.name] ?? 0n) + s;
          total += s;
        }
        try {
          l.observe?.(plan, outcome);
        } catch {
          // a lever's statistics must never fail a request that was already answered
        }
      }
      return { savingsPico, baselinePico: (outcome.priced?.total ?? 0n) + total };
    },
  };
}
