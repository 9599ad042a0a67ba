/**
 * Message Batches through the gateway. Batch objects (create, list, retrieve, cancel) have their `results_url`
 * rewritten to point at the gateway, so the SDK's `batches.results(id)`, which GETs that absolute URL, fetches the
 * results through the gateway; there each succeeded result is metered as its own record (source "batch", priced at
 * the batch rate). The record id is derived from the batch id and custom_id, so results fetched twice are stored
 * once (the store ignores a duplicate id) and hooks see them once per gateway process.
 */
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
