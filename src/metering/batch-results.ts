/**
 * Batch paths and results, read the same way by the gateway and the SDK wrapper: which batch a path names, and each
 * succeeded line of a results file (JSONL), metered as its own record (source "batch", priced at the batch rate).
 * The record id is derived from the batch id and custom_id, so results fetched twice are stored once (the store
 * ignores a duplicate id).
 */
import type { Catalog } from '../pricing/catalog.js';
import type { Usage } from '../pricing/usage.js';
import type { Attribution } from '../levers/lever.js';
import type { UsageRecord } from '../store/record.js';
import { buildRecord, newTrace, type Trace } from './trace.js';

const BATCH_PATH = /^\/v1\/messages\/batches(?:\/([^/]+))?(?:\/(cancel|results))?\/?$/;

export interface BatchPath {
  readonly batchId: string | null;
  readonly action: 'cancel' | 'results' | null;
}

export function batchPath(path: string): BatchPath | null {
  const m = BATCH_PATH.exec(path);
  if (!m) return null;
  return { batchId: m[1] ? decodeURIComponent(m[1]) : null, action: (m[2] as BatchPath['action']) ?? null };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface SucceededResult {
  readonly customId: string;
  readonly messageId: string | null;
  readonly model: string | null;
  readonly stopReason: string | null;
  readonly usage: Obj;
}

/** One line of a results file, if it is a succeeded result with usage (errored, canceled, expired are not billed). */
export function succeededResult(line: string): SucceededResult | null {
  let d: unknown;
  try {
    d = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObj(d) || typeof d['custom_id'] !== 'string' || !isObj(d['result'])) return null;
  const r = d['result'];
  if (r['type'] !== 'succeeded' || !isObj(r['message'])) return null;
  const m = r['message'];
  if (!isObj(m['usage'])) return null;
  return {
    customId: d['custom_id'],
    messageId: typeof m['id'] === 'string' ? m['id'] : null,
    model: typeof m['model'] === 'string' ? m['model'] : null,
    stopReason: typeof m['stop_reason'] === 'string' ? m['stop_reason'] : null,
    usage: m['usage'],
  };
}

/** The record of one succeeded batch result, fetched by the request `parent` (a GET of the results file). */
export function batchResultRecord(catalog: Catalog, parent: Trace, batchId: string, r: SucceededResult, attribution: Attribution, now = Date.now()): UsageRecord {
  const t = newTrace({
    id: `batchres_${batchId}_${r.customId}`, source: 'batch', method: parent.method, path: parent.path, endpoint: 'batches',
    startedAt: now, attribution, keyLast4: parent.keyLast4, batchId, customId: r.customId,
  });
  t.endedAt = now;
  t.status = 200;
  t.requestedModel = r.model;
  t.servedModel = r.model;
  t.usage = r.usage as Usage;
  t.messageId = r.messageId;
  t.stopReason = r.stopReason;
  t.batch = true;
  return buildRecord(t, { catalog, planner: null, plan: null, body: null, storePrompts: false, prefix: [] });
}
