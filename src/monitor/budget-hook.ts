/**
 * Budget enforcement in the gateway's pipeline. `beforeSend` prices the request pessimistically (reserve-estimate.ts),
 * demotes the model if a soft "demote" budget would go over, and reserves on every budget the request falls under,
 * or refuses it when a hard budget would go over. `afterRecord` settles the reservation with the real cost (or
 * releases it when the request died without a bill), and counts spend of requests that had no reservation.
 *
 * A refusal is `429 rate_limit_error`, like the API's own monthly spend cap: the message names the budget, what it
 * spent, what is in flight and when it resets. (SDKs retry a 429 twice; each retry is refused again at no cost.)
 */
import type { Catalog } from '../pricing/catalog.js';
import { UnknownModelError } from '../pricing/catalog.js';
import { formatUsd } from '../pricing/money.js';
import type { UsageRecord } from '../store/record.js';
import { ApiError } from '../wire/errors.js';
import type { GatewayContext } from '../gateway/hooks.js';
import type { BudgetLedger, BudgetStatus, Charge, Reservation } from './budget-ledger.js';
import type { BudgetRule } from './budget-config.js';
import { estimateReservation } from './reserve-estimate.js';

export const RESERVATION_STATE = 'monitor.reservation';

function scopeText(r: BudgetRule): string {
  return r.scope.kind === 'global' ? 'all requests' : r.scope.kind === 'key' ? `key "${r.scope.label}"` : `tag ${r.scope.tag}=${r.scope.value}`;
}

export function refusalMessage(s: BudgetStatus, need: bigint): string {
  const resets = s.periodEnd === null ? 'It does not reset (period "total"): raise the limit to continue.' : `It resets at ${new Date(s.periodEnd).toISOString()}.`;
  return (
    `clawback budget "${s.rule.name}" (${scopeText(s.rule)}, per ${s.rule.period}) would be exceeded: ` +
    `${formatUsd(s.spent, 6)} spent and ${formatUsd(s.inFlight, 6)} reserved by requests in flight of ${formatUsd(s.rule.limitPico, 6)}; ` +
    `this request may cost up to ${formatUsd(need, 6)}. ${resets}`
  );
}

export interface BudgetHookDeps {
  readonly ledger: BudgetLedger;
  readonly catalog: Catalog;
  readonly onRefused?: (status: BudgetStatus, message: string) => void;
  /**
   * When a request fits the budget's settled spend but not the reservations in flight (which usually settle well
   * below their ceilings), wait up to this long for them to settle before refusing. 0 refuses at once.
   */
  readonly waitMs?: number;
}

export function chargeOf(attr: { keyHash: string | null; tags: Readonly<Record<string, string>> }): Charge {
  return { keyHash: attr.keyHash, tags: attr.tags };
}

/** The beforeSend step: an ApiError to refuse, or nothing (a reservation is left in ctx.state). */
export async function reserveFor(ctx: GatewayContext, { ledger, catalog, onRefused, waitMs = 2_000 }: BudgetHookDeps): Promise<ApiError | undefined> {
  if (ctx.endpoint !== 'messages' || ctx.plan === null) return undefined;
  const charge = chargeOf(ctx.attribution);
  const rules = ledger.matching(charge);
  if (rules.length === 0) return undefined;
  const plan = ctx.plan;
  let est;
  try {
    est = estimateReservation(catalog, plan.body);
  } catch (err) {
    if (!(err instanceof UnknownModelError)) throw err;
    const hard = rules.find((r) => r.mode === 'hard');
    if (!hard) return undefined;
    return new ApiError('invalid_request_error', `clawback budget "${hard.name}" cannot be enforced for model "${String(plan.body['model'])}": it is not in the price catalog. ${err.message}`);
  }
  const demote = ledger.softOverflow(charge, est.pico).find((r) => r.action === 'demote' && r.demoteTo !== null);
  if (demote && demote.demoteTo !== null && catalog.tryResolve(demote.demoteTo)?.entry.id !== est.model) {
    plan.body = { ...plan.body, model: demote.demoteTo };
    plan.model = catalog.tryResolve(demote.demoteTo) ?? null;
    est = estimateReservation(catalog, plan.body);
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Check-and-reserve is one synchronous call; waiting happens only between attempts.
    const r = ledger.reserve(charge, est.pico);
    if (r.ok) {
      ctx.state.set(RESERVATION_STATE, r.reservation);
      return undefined;
    }
    const left = deadline - Date.now();
    const couldFit = r.status.inFlight > 0n && r.status.spent + est.pico <= r.rule.limitPico;
    if (!couldFit || left <= 0) {
      const message = refusalMessage(r.status, est.pico);
      onRefused?.(r.status, message);
      return new ApiError('rate_limit_error', message);
    }
    await ledger.nextSettlement(left);
  }
}

/** The afterRecord step. */
export function settleFor(rec: UsageRecord, ctx: GatewayContext, ledger: BudgetLedger): void {
  const res = ctx.state.get(RESERVATION_STATE) as Reservation | undefined;
  if (res !== undefined) {
    ctx.state.delete(RESERVATION_STATE);
    ledger.settle(res, rec.costPico, rec.startedAt);
  } else {
    ledger.addSpent(chargeOf(rec), rec.costPico, rec.startedAt);
  }
}
