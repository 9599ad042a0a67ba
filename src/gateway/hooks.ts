/**
 * The gateway's extension points. Budgets, /metrics, the dashboard, the live feed and virtual keys plug in here as
 * `GatewayHook`s; the gateway core knows none of them. The pipeline of one request is
 *
 *   routes (hooks' own paths, answered before anything else)
 *   -> parse -> attribute -> authenticate (every hook, in order) -> planner (levers)
 *   -> beforeSend (every hook, in order) -> send -> relay -> meter -> record -> afterRecord (every hook, in order)
 *
 * Hooks run in the order they were given. A hook that throws in `afterRecord` is logged and ignored (the response
 * was already delivered); an error thrown in `authenticate` or `beforeSend` is answered as an api_error (500).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attribution, RequestPlan } from '../levers/lever.js';
import type { UsageRecord } from '../store/record.js';
import type { ApiError } from '../wire/errors.js';

export type Endpoint = UsageRecord['endpoint'];

/** One request as it travels through the gateway. Hooks read it and may keep their own state in `state`. */
export interface GatewayContext {
  /** clawback's id for this request (`x-clawback-request-id`, UsageRecord.id). */
  readonly id: string;
  readonly method: string;
  /** The path without the query string, e.g. "/v1/messages". */
  readonly path: string;
  /** The query string including its "?", or "". */
  readonly search: string;
  readonly endpoint: Endpoint;
  /** Lower-cased request headers as the client sent them, minus clawback's own x-clawback-* headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
  /** Who is paying: key hash, metadata.user_id, session and tags. `authenticate` may replace it. */
  attribution: Attribution;
  /** The parsed JSON body of a POST (messages, count_tokens, batch create), or null. */
  readonly body: Readonly<Record<string, unknown>> | null;
  /**
   * For /v1/messages: the plan the levers worked on. `beforeSend` may still change `plan.body` (e.g. demote the
   * model when a budget runs low); the gateway sends `plan.body` (the client's original bytes when unchanged).
   */
  readonly plan: RequestPlan | null;
  /** False when the client sent `x-clawback-optimize: off` (the planner was skipped). */
  readonly optimize: boolean;
  /** Scratch space for hooks, e.g. a budget reservation to settle in afterRecord. Key it by the hook's name. */
  readonly state: Map<string, unknown>;
}

/** What `authenticate` may decide about a request it accepts. */
export interface AuthDecision {
  /** Fields that replace the request's attribution (e.g. a virtual key's owner, tags). */
  readonly attribution?: Partial<Attribution>;
  /**
   * The key to send upstream instead of the client's (virtual keys). When absent, the gateway sends its own
   * `apiKey` if it holds one, else the client's key.
   */
  readonly upstreamKey?: string;
}

export interface Route {
  /** HTTP method, or "*" for any. */
  readonly method: string;
  /** Path prefix, e.g. "/clawback/api/" or "/metrics". Matched against the path without the query string. */
  readonly prefix: string;
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface GatewayHook {
  readonly name: string;
  /** The hook's own routes (under /clawback/ or /metrics); matched before proxying, first match wins. */
  readonly routes?: readonly Route[];
  /**
   * Runs for every proxied request. Return an ApiError to refuse it (it is answered and recorded as "rejected"),
   * an AuthDecision to accept it with changes, or undefined to leave it as it is.
   */
  authenticate?(req: IncomingMessage, ctx: GatewayContext): AuthDecision | ApiError | undefined | Promise<AuthDecision | ApiError | undefined>;
  /** Runs after the planner, before the request is sent. Return an ApiError to refuse it (budget exhausted). */
  beforeSend?(ctx: GatewayContext): ApiError | undefined | Promise<ApiError | undefined>;
  /** Runs once the request is metered (its record queued for the store): settle budgets, metrics, live feed. */
  afterRecord?(record: UsageRecord, ctx: GatewayContext): void;
  /** Called when the gateway closes. */
  close?(): void | Promise<void>;
}

/** Finds the hook route serving a request, if any. */
export function matchRoute(hooks: readonly GatewayHook[], method: string, path: string): Route | null {
  for (const h of hooks) {
    for (const r of h.routes ?? []) {
      if ((r.method === '*' || r.method === method) && path.startsWith(r.prefix)) return r;
    }
  }
  return null;
}
