/**
 * Building the RequestPlan of one Messages request and running the planner on it: the same steps for the gateway
 * and the SDK wrapper, so the same request gets the same plan whichever face it came through. A lever that throws
 * leaves the request as the client sent it (a lever must never fail a request).
 */
import type { Catalog } from '../pricing/catalog.js';
import type { Attribution, RequestPlan } from './lever.js';
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
