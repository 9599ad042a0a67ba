/**
 * Turns what one face (the gateway, the SDK wrapper) saw of a request into its UsageRecord: cost from the usage the
 * API returned (the one cost engine, src/pricing/cost.ts), baseline and savings from the planner. Shared by both
 * faces so a request is metered the same way whichever way it came; the prompt-prefix fingerprints are computed by
 * the caller (gateway/fingerprints.ts).
 */
import type { Catalog } from '../pricing/catalog.js';
import { priceUsage, type PricedUsage } from '../pricing/cost.js';
import { tokenLines, type Usage } from '../pricing/usage.js';
import type { Attribution, RequestPlan } from '../levers/lever.js';
import type { Planner } from '../levers/planner.js';
import type { Outcome, PrefixFingerprint, UsageRecord } from '../store/record.js';

/** The API route a request went to. */
export type Endpoint = UsageRecord['endpoint'];

/** The endpoint of an API path (without the query string), e.g. "/v1/messages" -> "messages". */
export function endpointOf(path: string): Endpoint {
  if (path === '/v1/messages') return 'messages';
  if (path === '/v1/messages/count_tokens') return 'count_tokens';
  if (path.startsWith('/v1/messages/batches')) return 'batches';
  if (path === '/v1/models' || path.startsWith('/v1/models/')) return 'models';
  return 'other';
}

/** Everything observed about one request, filled in as it goes. */
export interface Trace {
  readonly id: string;
  readonly source: UsageRecord['source'];
  readonly method: string;
  readonly path: string;
  readonly endpoint: Endpoint;
  readonly startedAt: number;
  firstByteAt: number | null;
  endedAt: number | null;
  requestedModel: string | null;
  servedModel: string | null;
  stream: boolean;
  status: number;
  outcome: Outcome;
  stopReason: string | null;
  errorType: string | null;
  usage: Usage | null;
  messageId: string | null;
  requestId: string | null;
  retries: number;
  maxTokens: number | null;
  attribution: Attribution;
  keyLast4: string | null;
  batchId: string | null;
  customId: string | null;
  /** Price as a batch request (batch results). */
  batch: boolean;
  /**
   * The response failed in a way the API does not bill (a stream that ended with an `error` event): the usage seen
   * is kept for forensics, the cost is zero.
   */
  unbilled: boolean;
}

export function newTrace(init: Pick<Trace, 'id' | 'method' | 'path' | 'endpoint' | 'startedAt' | 'attribution' | 'keyLast4'> & Partial<Trace>): Trace {
  return {
    source: 'gateway', firstByteAt: null, endedAt: null, requestedModel: null, servedModel: null, stream: false, status: 0,
    outcome: 'ok', stopReason: null, errorType: null, usage: null, messageId: null, requestId: null, retries: 0,
    maxTokens: null, batchId: null, customId: null, batch: false, unbilled: false, ...init,
  };
}

const warned = new Set<string>();

/** The bill for a usage object, or null (and one warning per model) when the catalog does not know the model. */
export function price(catalog: Catalog, model: string | null, usage: Usage | null, batch: boolean): PricedUsage | null {
  if (usage === null || model === null) return null;
  try {
    return priceUsage(catalog, model, usage, batch ? { batch: true } : {});
  } catch (err) {
    if (!warned.has(model)) {
      warned.add(model);
      process.stderr.write(`clawback: cannot price ${model}: ${(err as Error).message}\n`);
    }
    return null;
  }
}

export interface MeterInput {
  readonly catalog: Catalog;
  readonly planner: Planner | null;
  readonly plan: RequestPlan | null;
  readonly body: Readonly<Record<string, unknown>> | null;
  readonly storePrompts: boolean;
  /** Prompt-prefix fingerprints of the body sent (fingerprints.ts), computed after the response was relayed. */
  readonly prefix: readonly PrefixFingerprint[];
}

export function buildRecord(t: Trace, m: MeterInput): UsageRecord {
  const priced = t.unbilled ? null : price(m.catalog, t.servedModel ?? t.requestedModel, t.usage, t.batch || t.usage?.service_tier === 'batch');
  const cost = priced?.total ?? 0n;
  let savingsPico: UsageRecord['savingsPico'] = {};
  let baselinePico = cost;
  if (m.plan && m.planner) {
    try {
      const s = m.planner.settle(m.plan, { status: t.status, priced, stopReason: t.stopReason, startedAt: t.startedAt });
      savingsPico = s.savingsPico;
      baselinePico = s.baselinePico;
    } catch (err) {
      process.stderr.write(`clawback: settling savings failed: ${(err as Error).message}\n`);
    }
  }
  const lines = t.usage ? tokenLines(t.usage) : null;
  const sent = m.plan?.body ?? m.body;
  return {
    id: t.id,
    requestId: t.requestId,
    messageId: t.messageId,
    source: t.source,
    endpoint: t.endpoint,
    method: t.method,
    path: t.path,
    startedAt: t.startedAt,
    firstByteAt: t.firstByteAt,
    endedAt: t.endedAt,
    requestedModel: t.requestedModel,
    servedModel: t.servedModel,
    stream: t.stream,
    status: t.status,
    outcome: t.outcome,
    stopReason: t.stopReason,
    errorType: t.errorType,
    usage: t.usage,
    inputTokens: priced?.tokens.input ?? lines?.input ?? 0,
    outputTokens: priced?.tokens.output ?? lines?.output ?? 0,
    cacheWrite5mTokens: priced?.tokens.cache_write_5m ?? lines?.cache_write_5m ?? 0,
    cacheWrite1hTokens: priced?.tokens.cache_write_1h ?? lines?.cache_write_1h ?? 0,
    cacheReadTokens: priced?.tokens.cache_read ?? lines?.cache_read ?? 0,
    webSearchRequests: priced?.webSearches ?? t.usage?.server_tool_use?.web_search_requests ?? 0,
    costPico: cost,
    baselinePico,
    savingsPico,
    keyHash: t.attribution.keyHash,
    keyLast4: t.keyLast4,
    userId: t.attribution.userId,
    sessionId: t.attribution.sessionId,
    tags: t.attribution.tags,
    batchId: t.batchId,
    customId: t.customId,
    retries: t.retries,
    maxTokens: t.maxTokens,
    prefix: m.prefix,
    decisions: m.plan?.decisions ?? [],
    promptText: m.storePrompts && sent && t.endpoint === 'messages' ? JSON.stringify({ system: sent['system'] ?? null, messages: sent['messages'] ?? null }) : null,
  };
}
