/**
 * The shape every lever has. A lever is a factory (options checked once, defaults in the signature) returning a
 * Lever; the planner runs them in order on a RequestPlan before the request is sent, and tells them the outcome
 * after it is metered (their statistics). A lever never imports the gateway or the SDK wrapper: both call levers
 * through this interface.
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import type { PricedUsage } from '../pricing/cost.js';
import type { LeverDecisionRecord, LeverName } from '../store/record.js';

export type LeverMode = 'off' | 'observe' | 'enforce';

export interface Attribution {
  readonly keyHash: string | null;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly tags: Readonly<Record<string, string>>;
}

/** One request on its way upstream. Levers in enforce mode may replace `body`; they never mutate `original`. */
export interface RequestPlan {
  /** The body exactly as the client sent it (parsed). */
  readonly original: Readonly<Record<string, unknown>>;
  /** The body to send; starts as `original`. A lever that changes it assigns a new object (copy-on-write). */
  body: Record<string, unknown>;
  readonly attribution: Attribution;
  /** Lower-cased request headers, clawback's own x-clawback-* included (levers may read them; they are never forwarded). */
  readonly headers: Readonly<Record<string, string>>;
  readonly catalog: Catalog;
  /** Catalog entry for body.model, or null when the catalog does not know it (levers then do nothing). */
  model: CatalogModel | null;
  /** `x-clawback-defer`: how long the client can wait for an answer, in ms (null: it wants it now). */
  readonly deferMs: number | null;
  readonly decisions: LeverDecisionRecord[];
}

export interface Outcome {
  readonly status: number;
  readonly priced: PricedUsage | null;
  readonly stopReason: string | null;
  readonly startedAt: number;
}

export interface Lever {
  readonly name: LeverName;
  readonly mode: LeverMode;
  /** Decide (and, in enforce mode, change plan.body). Must be fast: it runs in the request's path. */
  plan(plan: RequestPlan): void | Promise<void>;
  /**
   * What this lever saved on this request, in pico-dollars (positive: the client's own request would have cost
   * that much more; negative: the lever cost money). Called after metering; absent or null means "nothing".
   */
  attribute?(plan: RequestPlan, outcome: Outcome): bigint | null;
  /** Learn from what happened (off the hot path). */
  observe?(plan: RequestPlan, outcome: Outcome): void;
}
