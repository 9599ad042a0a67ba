/**
 * POST /v1/messages and /v1/messages/count_tokens: validate, consult the prompt cache, answer, bill, reply (JSON or
 * SSE). `runMessage` is the part batches reuse: one request in, the message and its usage out, cache committed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Catalog } from '../pricing/catalog.js';
import type { Usage } from '../pricing/usage.js';
import { ApiError, newId } from '../wire/errors.js';
import { answer, type Answer } from './answers.js';
import type { Clock } from './clock.js';
import { rateLimitHeaders, type FaultInjector } from './faults.js';
import { header, sendError, sendJson, sleep } from './http.js';
import type { Ledger } from './ledger.js';
import { commitCache, planCache, type CachePlan, type PromptCacheStore } from './prompt-cache.js';
import type { Scenario } from './scenarios.js';
import { writeMessageStream } from './stream.js';
import { validateRequest, type ValidRequest } from './validate.js';

export interface Latency {
  readonly firstByteMs: number;
  readonly perTokenMs: number;
}

export interface EmulatorContext {
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly cache: PromptCacheStore;
  readonly ledger: Ledger;
  readonly scenarios: readonly Scenario[];
  readonly faults: FaultInjector;
  readonly latency: Latency;
}

/** Who is asking: the workspace decides cache isolation; the key hash goes to the ledger. */
export interface Caller {
  readonly apiKeyHash: string;
  readonly workspace: string;
}

export interface MessageJson {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Answer['content'];
  stop_reason: string;
  stop_sequence: string | null;
  stop_details: null;
  usage: Usage & Record<string, unknown>;
}

export function buildUsage(v: ValidRequest, plan: CachePlan, a: Answer, serviceTier: 'standard' | 'batch'): MessageJson['usage'] {
  const u: MessageJson['usage'] = {
    input_tokens: plan.usage.input_tokens,
    cache_creation_input_tokens: plan.usage.cache_creation_input_tokens,
    cache_read_input_tokens: plan.usage.cache_read_input_tokens,
    cache_creation: { ...plan.usage.cache_creation },
    output_tokens: a.outputTokens,
    service_tier: serviceTier,
  };
  if (a.webSearches > 0) u.server_tool_use = { web_search_requests: a.webSearches, web_fetch_requests: 0 };
  if (v.model.entry.inference_geo) {
    const geo = v.body['inference_geo'];
    u.inference_geo = typeof geo === 'string' ? geo : 'global';
  }
  if (v.body['speed'] === 'fast') u.speed = 'fast';
  return u;
}

export interface RunResult {
  readonly message: MessageJson;
  readonly plan: CachePlan;
}

/** Plans the cache and answers; does not commit or bill (the caller does both when the response begins). */
export function prepareMessage(ctx: EmulatorContext, v: ValidRequest, caller: Caller, start: number, serviceTier: 'standard' | 'batch'): RunResult {
  const plan = planCache(ctx.cache, { analysis: v.analysis, minTokens: v.model.entry.min_cacheable_tokens, workspace: caller.workspace, start });
  const a = answer(v, ctx.scenarios);
  const message: MessageJson = {
    id: newId('msg'),
    type: 'message',
    role: 'assistant',
    // The API answers with the model's canonical id (an alias such as claude-haiku-4-5 comes back dated).
    model: v.model.entry.id,
    content: a.content,
    stop_reason: a.stopReason,
    stop_sequence: a.stopSequence,
    stop_details: null,
    usage: buildUsage(v, plan, a, serviceTier),
  };
  return { message, plan };
}

export function commitAndBill(ctx: EmulatorContext, r: RunResult, v: ValidRequest, caller: Caller, requestId: string, extra: { batchId?: string; customId?: string } = {}): void {
  commitCache(ctx.cache, r.plan);
  bill(ctx, r, v, caller, requestId, r.message.usage, extra);
}

function bill(ctx: EmulatorContext, r: RunResult, v: ValidRequest, caller: Caller, requestId: string, usage: Usage, extra: { batchId?: string; customId?: string } = {}): void {
  ctx.ledger.add({
    requestId, messageId: r.message.id, time: r.plan.start, apiKeyHash: caller.apiKeyHash, workspace: caller.workspace,
    model: v.model.entry.id, usage, ...extra,
  });
}

export async function handleMessages(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, body: unknown, requestId: string, caller: Caller): Promise<void> {
  const start = ctx.clock.now();
  const v = validateRequest(ctx.catalog, body, 'messages');
  const fault = ctx.faults.pick(header(req, 'x-emulator-fault'));
  if (fault?.kind === 'drop') {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === '429') {
    sendError(res, new ApiError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (emulated fault)'), requestId, rateLimitHeaders(ctx.clock.now()));
    return;
  }
  if (fault?.kind === '529' || (fault?.kind === 'mid-stream-error' && !v.stream)) {
    sendError(res, new ApiError('overloaded_error', 'Overloaded'), requestId);
    return;
  }
  if (fault?.kind === '500') {
    sendError(res, new ApiError('api_error', 'Internal server error (emulated fault)'), requestId);
    return;
  }
  const r = prepareMessage(ctx, v, caller, start, 'standard');
  await sleep((fault?.kind === 'slow-first-byte' ? (fault.ms ?? 0) : 0) + ctx.latency.firstByteMs);
  if (res.destroyed) return;
  const midStream = fault?.kind === 'mid-stream-error';
  // The response begins now: its cache writes become readable. A JSON answer is billed now; a stream as it ends
  // (in full, or for what it generated before its client went away; never when it fails mid-stream: stream.ts).
  if (v.stream) commitCache(ctx.cache, r.plan);
  else commitAndBill(ctx, r, v, caller, requestId);
  if (!v.stream) {
    await sleep(ctx.latency.perTokenMs * r.message.usage.output_tokens!);
    sendJson(res, 200, r.message);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const perDelta = ctx.latency.perTokenMs > 0 ? ctx.latency.perTokenMs * 6 : 0;
  await writeMessageStream(res, r.message, {
    perDeltaMs: perDelta,
    midStreamError: midStream,
    family: v.model.entry.tokenizer,
    bill: (b) => bill(ctx, r, v, caller, requestId, b.complete ? r.message.usage : (b.usage as Usage)),
  });
}

export function handleCountTokens(ctx: EmulatorContext, res: ServerResponse, body: unknown): void {
  const v = validateRequest(ctx.catalog, body, 'count_tokens');
  sendJson(res, 200, { input_tokens: v.analysis.totalTokens });
}
