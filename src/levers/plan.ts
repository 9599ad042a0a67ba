/**
 * Building the RequestPlan of one Messages request and running the planner on it: the same steps for the gateway
 * and the SDK wrapper, so the same request gets the same plan whichever face it came through. A lever that throws
 * leaves the request as the client sent it (a lever must never fail a request).
 */
import type { Catalog } from '../pricing/catalog.js';
import type { Attribution, RequestPlan } from './lever.js';
import type { OutputBudgetLever } from './output-budget.js';
import type { Planner } from './planner.js';

export interface PlanInput {
  /** The parsed body as the client sent it. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly attribution: Attribution;
  /** Lower-cased request headers as the client sent them, clawback's own x-clawback-* headers included (they are never forwarded). */
  readonly headers: Readonly<Record<string, string>>;
  readonly catalog: Catalog;
  readonly deferMs: number | null;
}

export function newRequestPlan({ body, attribution, headers, catalog, deferMs }: PlanInput): RequestPlan {
  const model = typeof body['model'] === 'string' ? (catalog.tryResolve(body['model']) ?? null) : null;
  return { original: body, body: body as Record<string, unknown>, attribution, headers, catalog, model, deferMs, decisions: [] };
}

/** Runs the planner; on a lever's failure the body goes as sent and `warn` is told why. */
export async function runPlanner(planner: Planner, plan: RequestPlan, warn: (message: string) => void): Promise<void> {
  try {
    await planner.plan(plan);
  } catch (err) {
    warn(`a lever failed, the request goes as sent: ${(err as Error).message}`);
    plan.body = plan.original as Record<string, unknown>;
  }
}

/** What continuing a truncated answer needs to know about one request (see output-budget-continue.ts). */
export interface ContinuationPolicy {
  /** The client's own max_tokens: the follow-ups together never go past it. */
  readonly clientMax: number;
  /** Follow-up calls at most (`levers.output.max_continuations`). */
  readonly maxCalls: number;
  /** Tells the output lever an answer it truncated was continued (its `continued` statistic). */
  note(): void;
}

function isOutputLever(l: Planner['levers'][number]): l is OutputBudgetLever {
  return l.name === 'output' && 'decisionFor' in l && 'noteContinuation' in l;
}

/**
 * Whether an answer to this request that stops at `max_tokens` should be continued: the output lever enforced a
 * cap below the client's own limit on it and its config (section or route) says to continue. Null otherwise,
 * including with the planner skipped (`x-clawback-optimize: off`).
 */
export function continuationFor(planner: Planner | null, plan: RequestPlan | null): ContinuationPolicy | null {
  if (!planner || !plan) return null;
  const lever = planner.levers.find(isOutputLever);
  const d = lever?.decisionFor(plan);
  if (!lever || !d || !d.applied || !d.continueTruncated || d.cap === null || d.clientMax === null) return null;
  const sentMax = plan.body['max_tokens'];
  if (typeof sentMax !== 'number' || sentMax >= d.clientMax || lever.config.max_continuations < 1) return null;
  return { clientMax: d.clientMax, maxCalls: lever.config.max_continuations, note: () => lever.noteContinuation(plan) };
}
