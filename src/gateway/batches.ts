/**
 * Message Batches through the gateway. Batch objects (create, list, retrieve, cancel) have their `results_url`
 * rewritten to point at the gateway, so the SDK's `batches.results(id)`, which GETs that absolute URL, fetches the
 * results through the gateway; there each succeeded result is metered as its own record (source "batch", priced at
 * the batch rate). The record id is derived from the batch id and custom_id, so results fetched twice are stored
 * once (the store ignores a duplicate id) and hooks see them once per gateway process. The path and result readers
 * live in src/metering/batch-results.ts (shared with the SDK wrapper).
 */
export { batchPath, succeededResult, type BatchPath, type SucceededResult } from '../metering/batch-results.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rewrites every `results_url` under `upstreamBase` (origin + base path) to the same path under `gatewayBase`.
 * Returns the number of URLs rewritten; the object is changed in place.
 */
export function rewriteResultsUrls(doc: unknown, upstreamBase: string, gatewayBase: string): number {
  let n = 0;
  const fix = (o: Obj): void => {
    const u = o['results_url'];
    if (typeof u === 'string' && u.startsWith(upstreamBase + '/')) {
      o['results_url'] = gatewayBase + u.slice(upstreamBase.length);
      n++;
    }
  };
  if (isObj(doc)) {
    fix(doc);
    if (Array.isArray(doc['data'])) for (const x of doc['data']) if (isObj(x)) fix(x);
  }
  return n;
}
