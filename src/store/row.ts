/**
 * A UsageRecord as one table row and back: money as 64-bit integers (bigint), the usage, tags, savings, prefix
 * fingerprints and lever decisions as JSON text. Shared by the SQLite and Postgres stores so both read and write
 * exactly the same columns (see migrations.ts).
 */
import type { Usage } from '../pricing/usage.js';
import { LEVERS, type LeverDecisionRecord, type LeverName, type Outcome, type PrefixFingerprint, type UsageRecord } from './record.js';

export const COLUMNS = [
  'id', 'request_id', 'message_id', 'source', 'endpoint', 'method', 'path', 'started_at', 'first_byte_at', 'ended_at',
  'requested_model', 'served_model', 'stream', 'status', 'outcome', 'stop_reason', 'error_type', 'usage',
  'input_tokens', 'output_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens',
  'web_search_requests', 'cost_pico', 'baseline_pico', 'savings', 'key_hash', 'key_last4', 'user_id', 'session_id',
  'tags', 'batch_id', 'custom_id', 'retries', 'max_tokens', 'prefix', 'decisions', 'prompt_text',
] as const;

export type Column = (typeof COLUMNS)[number];
export type Cell = string | number | bigint | null;
export type Row = Record<Column, Cell>;

const HEX = /^[0-9a-f]*$/;

/**
 * The prefix column's JSON, written out by hand: exactly what JSON.stringify gives for fingerprints of our own
 * making (whole numbers, hex hashes, a known TTL), ~3x faster on this Node (0.17 vs 0.55 us for a small request's
 * four, 3.2 vs 7.9 us for an agent request's 71). Anything else (a hash from elsewhere, a non-finite number) goes
 * through JSON.stringify.
 */
export function prefixJson(prefix: readonly PrefixFingerprint[]): string {
  let s = '[';
  for (let k = 0; k < prefix.length; k++) {
    const f = prefix[k]!;
    if (!Number.isFinite(f.i) || !Number.isFinite(f.t) || !HEX.test(f.h) || (f.bp !== undefined && f.bp !== '5m' && f.bp !== '1h')) return JSON.stringify(prefix);
    // Concatenation, not a template literal with a nested one: ~25% faster here.
    s += (k === 0 ? '{"i":' : ',{"i":') + f.i + ',"h":"' + f.h + '","t":' + f.t + (f.bp !== undefined ? ',"bp":"' + f.bp + '"}' : '}');
  }
  return s + ']';
}

/** Columns in COLUMNS order, ready to bind as positional parameters. */
export function toRow(r: UsageRecord): Cell[] {
  const savings: Record<string, string> = {};
  for (const l of LEVERS) {
    const v = r.savingsPico[l];
    if (v !== undefined) savings[l] = v.toString();
  }
  return [
    r.id, r.requestId, r.messageId, r.source, r.endpoint, r.method, r.path, r.startedAt, r.firstByteAt, r.endedAt,
    r.requestedModel, r.servedModel, r.stream ? 1 : 0, r.status, r.outcome, r.stopReason, r.errorType,
    r.usage === null ? null : JSON.stringify(r.usage),
    r.inputTokens, r.outputTokens, r.cacheWrite5mTokens, r.cacheWrite1hTokens, r.cacheReadTokens, r.webSearchRequests,
    r.costPico, r.baselinePico, JSON.stringify(savings), r.keyHash, r.keyLast4, r.userId, r.sessionId,
    JSON.stringify(r.tags), r.batchId, r.customId, r.retries, r.maxTokens, prefixJson(r.prefix),
    JSON.stringify(r.decisions), r.promptText,
  ];
}

const str = (v: Cell | undefined): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: Cell | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: Cell | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const big = (v: Cell | undefined): bigint => (v === null || v === undefined ? 0n : BigInt(v));

function json<T>(v: Cell | undefined, fallback: T): T {
  if (typeof v !== 'string') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

export function fromRow(row: Partial<Record<Column, Cell>>): UsageRecord {
  const rawSavings = json<Record<string, string>>(row.savings, {});
  const savingsPico: Partial<Record<LeverName, bigint>> = {};
  for (const l of LEVERS) {
    const v = rawSavings[l];
    if (typeof v === 'string' && /^-?\d+$/.test(v)) savingsPico[l] = BigInt(v);
  }
  return {
    id: String(row.id),
    requestId: str(row.request_id),
    messageId: str(row.message_id),
    source: String(row.source) as UsageRecord['source'],
    endpoint: String(row.endpoint) as UsageRecord['endpoint'],
    method: String(row.method),
    path: String(row.path),
    startedAt: num(row.started_at),
    firstByteAt: numOrNull(row.first_byte_at),
    endedAt: numOrNull(row.ended_at),
    requestedModel: str(row.requested_model),
    servedModel: str(row.served_model),
    stream: num(row.stream) === 1,
    status: num(row.status),
    outcome: String(row.outcome) as Outcome,
    stopReason: str(row.stop_reason),
    errorType: str(row.error_type),
    usage: json<Usage | null>(row.usage, null),
    inputTokens: num(row.input_tokens),
    outputTokens: num(row.output_tokens),
    cacheWrite5mTokens: num(row.cache_write_5m_tokens),
    cacheWrite1hTokens: num(row.cache_write_1h_tokens),
    cacheReadTokens: num(row.cache_read_tokens),
    webSearchRequests: num(row.web_search_requests),
    costPico: big(row.cost_pico),
    baselinePico: big(row.baseline_pico),
    savingsPico,
    keyHash: str(row.key_hash),
    keyLast4: str(row.key_last4),
    userId: str(row.user_id),
    sessionId: str(row.session_id),
    tags: json<Record<string, string>>(row.tags, {}),
    batchId: str(row.batch_id),
    customId: str(row.custom_id),
    retries: num(row.retries),
    maxTokens: numOrNull(row.max_tokens),
    prefix: json<PrefixFingerprint[]>(row.prefix, []),
    decisions: json<LeverDecisionRecord[]>(row.decisions, []),
    promptText: str(row.prompt_text),
  };
}
