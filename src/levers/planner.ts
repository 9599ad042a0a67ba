/**
 * The planner runs the levers on each request, in a fixed order, and settles what each saved once the response is
 * metered. It is where levers interact: a lever sees the decisions of those before it in `plan.decisions`.
 * `x-clawback-optimize: off` (read by the gateway / SDK wrapper) skips the planner entirely.
 *
 * It also keeps running statistics per lever (`stats()`): requests planned, decisions applied, the savings the
 * levers estimated when planning and the savings settled after metering, so the dashboard and future weighing of
 * levers against each other read one place.
 */
import type { LeverName } from '../store/record.js';
import type { Lever, Outcome, RequestPlan } from './lever.js';

export interface Settlement {
  readonly savingsPico: Partial<Record<LeverName, bigint>>;
  /** cost + every lever's saving: what the client's own request would have cost. */
  readonly baselinePico: bigint;
}

export interface LeverStats {
  /** Requests the lever planned. */
  planned: number;
  /** Requests where it changed the body (a decision with `applied: true`). */
  applied: number;
  /** Sum of the savings it estimated when planning (`estimatedSavingPico` of its decisions). */
  estimatedPico: bigint;
  /** Requests settled after metering, and the savings attributed to the lever then. */
  settled: number;
  savingsPico: bigint;
}

export interface Planner {
  readonly levers: readonly Lever[];
  plan(plan: RequestPlan): Promise<void>;
  settle(plan: RequestPlan, outcome: Outcome): Settlement;
  /** Running statistics per active lever, by name (a copy). */
  stats(): Partial<Record<LeverName, LeverStats>>;
}

export function createPlanner(levers: readonly Lever[]): Planner {
  const active = levers.filter((l) => l.mode !== 'off');
  const stats = new Map<LeverName, LeverStats>();
  const statsOf = (name: LeverName): LeverStats => {
    let s = stats.get(name);
    if (!s) stats.set(name, (s = { planned: 0, applied: 0, estimatedPico: 0n, settled: 0, savingsPico: 0n }));
    return s;
  };
  return {
    levers: active,
    async plan(plan) {
      if (plan.model === null) return; // unknown model: nothing can be weighed, the request passes untouched
      for (const l of active) {
        const before = plan.decisions.length;
        await l.plan(plan);
        const s = statsOf(l.name);
        s.planned++;
        let applied = false;
        for (let i = before; i < plan.decisions.length; i++) {
          const d = plan.decisions[i]!;
          if (d.lever !== l.name) continue;
          applied ||= d.applied;
          const est = d.estimatedSavingPico;
          if (est !== undefined && est !== '0' && /^-?\d+$/.test(est)) s.estimatedPico += BigInt(est);
        }
        if (applied) s.applied++;
      }
    },
    stats() {
      return Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }]));
    },
    settle(plan, outcome) {
      const savingsPico: Partial<Record<LeverName, bigint>> = {};
      let total = 0n;
      for (const l of active) {
        const s = l.attribute?.(plan, outcome) ?? null;
        const st = statsOf(l.name);
        st.settled++;
        if (s !== null) st.savingsPico += s;
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
