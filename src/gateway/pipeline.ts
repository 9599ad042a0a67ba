/**
 * One proxied request, start to end:
 *   parse -> attribute -> authenticate (hooks) -> planner (levers; skipped with `x-clawback-optimize: off`)
 *   -> beforeSend (hooks) -> send (retries while nothing was relayed) -> relay (chunk by chunk, tapped)
 *   -> meter -> record (queued) -> afterRecord (hooks).
 * With no lever changing the body, the upstream receives the client's original bytes and the client the upstream's.
 * Only paths under /v1/ are metered; anything else (the `HEAD /` and `HEAD /api/hello` probes) is relayed as is.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Catalog } from '../pricing/catalog.js';
import { continuationFor, newRequestPlan, runPlanner } from '../levers/plan.js';
import type { Planner } from '../levers/planner.js';
import type { UsageStore } from '../store/record.js';
import { batchResultRecord } from '../metering/batch-results.js';
import { traceErrorType, traceJson, traceStream } from '../metering/response.js';
import { estimateAbortedOutput } from '../metering/aborted-stream.js';
import { ApiError, newRequestId } from '../wire/errors.js';
import { idMinter } from './ids.js';
import { attribute, clientKey, last4, readClawbackHeaders } from './attribution.js';
import { batchPath, rewriteResultsUrls, succeededResult } from './batches.js';
import { sharedFingerprints, type Fingerprinter } from './fingerprints.js';
import type { GatewayContext, GatewayHook } from './hooks.js';
import { relayContinued } from './continue.js';
import { buildRecord, endpointOf, newTrace, type Trace } from '../metering/trace.js';
import type { GatewaySection } from './options.js';
import { relay } from './relay.js';
import { sendApiError } from './respond.js';
import { CopyTap, LineTap, SseTap, decodingTap, type BodyTap } from './taps.js';
import { Cancel, UpstreamError, type Upstream, type UpstreamResponse } from './upstream.js';

export interface PipelineEnv {
  readonly upstream: Upstream;
  readonly store: UsageStore;
  readonly catalog: Catalog;
  readonly planner: Planner | null;
  readonly hooks: readonly GatewayHook[];
  readonly settings: GatewaySection;
  /** The upstream key the gateway holds (ANTHROPIC_API_KEY), or null to forward the client's. */
  readonly apiKey: string | null;
  readonly clientKeys: ReadonlySet<string> | null;
  /** The salted hash of a client key (attribution.ts keyHasher). */
  readonly hashKey: (key: string) => string;
  /** Batch results already metered by this process (`batchId:customId`). */
  readonly seenResults: Set<string>;
  readonly fingerprinter: Fingerprinter;
}

type Obj = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const DROP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'trailer', 'upgrade']);
const BATCH_CREATE_LIMIT = 256 * 1024 * 1024;

/**
 * `forward`: what goes upstream (hop-by-hop and clawback's own headers dropped). `plain`: the same, flattened, for
 * hooks. `own`: clawback's x-clawback-* headers, which the levers may read (e.g. x-clawback-model-pin) but the
 * upstream never sees.
 */
function forwardHeaders(h: IncomingHttpHeaders): { forward: Record<string, string | string[]>; plain: Record<string, string>; own: Record<string, string> } {
  const forward: Record<string, string | string[]> = {};
  const plain: Record<string, string> = {};
  const own: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || DROP_REQUEST.has(k)) continue;
    const flat = Array.isArray(v) ? v.join(', ') : v;
    if (k.startsWith('x-clawback-')) {
      own[k] = flat;
      continue;
    }
    forward[k] = v;
    plain[k] = flat;
  }
  return { forward, plain, own };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(limit: number): ApiError {
  return new ApiError('request_too_large', `Request exceeds the maximum allowed number of bytes (${limit}).`);
}

function parseObject(raw: Buffer): Obj {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError('invalid_request_error', `The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError('invalid_request_error', 'The request body must be a JSON object.');
  return v as Obj;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function handleProxy(env: PipelineEnv, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return run(env, req, res).catch((err: unknown) => {
    process.stderr.write(`clawback gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (!res.headersSent) sendApiError(res, new ApiError('api_error', 'Internal gateway error.'), newRequestId());
    else res.destroy();
  });
}

const nextId = idMinter('req');

async function run(env: PipelineEnv, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startedAt = Date.now();
  const id = nextId();
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const qi = rawUrl.indexOf('?');
  const path = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const search = qi < 0 ? '' : rawUrl.slice(qi);
  const metered = path.startsWith('/v1/');
  const endpoint = endpointOf(path);
  const ch = readClawbackHeaders(req.headers);
  const { forward, plain, own } = forwardHeaders(req.headers);
  const key = clientKey(req.headers);
  const trace: Trace = newTrace({
    id, method, path, endpoint, startedAt,
    attribution: attribute(key ? env.hashKey(key) : null, null, ch),
    keyLast4: key ? last4(key) : null,
  });

  const ac = new Cancel();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });

  const ctx: Mutable<GatewayContext> = {
    id, method, path, search, endpoint, headers: plain, startedAt, attribution: trace.attribution, body: null, plan: null,
    optimize: ch.optimize, state: new Map(),
  };
  let sentBytes: Buffer | null = null;
  const record = async (): Promise<void> => {
    trace.attribution = ctx.attribution;
    if (!metered) return;
    const sent = ctx.plan?.body ?? ctx.body;
    // Settle the levers now, synchronously, before any await: a client's next turn may arrive while fingerprints
    // are computed, and the levers must have learned from this one by then (the SDK wrapper settles the same way).
    const fingerprint = endpoint === 'messages' && sent !== null && env.settings.fingerprints;
    // The caching lever analysed the body it sent: its analysis gives the fingerprints (taken before settling).
    const shared = fingerprint && ctx.optimize ? sharedFingerprints(env.planner, ctx.plan) : null;
    // A small body is fingerprinted at once (an array), a large one on the thread (awaited after settling).
    const computed = shared ?? (fingerprint && sent ? env.fingerprinter.compute(sentBytes, sent, ctx.plan?.model ?? null) : []);
    const now = Array.isArray(computed) ? computed : [];
    const settled = buildRecord(trace, { catalog: env.catalog, planner: ctx.optimize ? env.planner : null, plan: ctx.plan, body: ctx.body, storePrompts: env.settings.storePrompts, prefix: now });
    const later = Array.isArray(computed) ? null : await computed;
    const rec = later !== null && later.length > 0 ? { ...settled, prefix: later } : settled;
    env.store.append(rec);
    for (const h of env.hooks) {
      try {
        h.afterRecord?.(rec, ctx);
      } catch (err) {
        process.stderr.write(`clawback gateway: hook ${h.name} afterRecord failed: ${(err as Error).message}\n`);
      }
    }
  };
  const refuse = (err: ApiError, outcome: 'rejected' | 'error', extra: Record<string, string> = {}): Promise<void> => {
    sendApiError(res, err, id, extra);
    trace.status = err.status;
    trace.errorType = err.type;
    trace.outcome = outcome;
    trace.endedAt = Date.now();
    return record();
  };

  // parse
  let raw: Buffer | null = null;
  let streamBody: Readable | null = null;
  const buffered = method === 'POST' && (endpoint === 'messages' || endpoint === 'count_tokens' || (endpoint === 'batches' && path === '/v1/messages/batches'));
  if (buffered) {
    try {
      raw = await readBody(req, endpoint === 'batches' ? BATCH_CREATE_LIMIT : env.settings.maxBodyBytes);
      ctx.body = parseObject(raw);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('invalid_request_error', (err as Error).message);
      return refuse(e, 'rejected', e.status === 413 ? { connection: 'close' } : {});
    }
    const b = ctx.body;
    if (typeof b['model'] === 'string') trace.requestedModel = b['model'];
    trace.stream = b['stream'] === true;
    if (typeof b['max_tokens'] === 'number') trace.maxTokens = b['max_tokens'];
    ctx.attribution = attribute(trace.attribution.keyHash, b, ch);
  } else if (method !== 'GET' && method !== 'HEAD' && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)) {
    streamBody = req;
    const cl = req.headers['content-length'];
    if (cl !== undefined) forward['content-length'] = cl;
    else forward['transfer-encoding'] = 'chunked';
  }

  // authenticate
  let upstreamKey = env.apiKey;
  if (metered) {
    if (env.apiKey !== null && env.clientKeys !== null && (key === null || !env.clientKeys.has(key))) {
      return refuse(new ApiError('authentication_error', 'invalid x-api-key'), 'rejected');
    }
    for (const h of env.hooks) {
      if (!h.authenticate) continue;
      const d = await h.authenticate(req, ctx);
      if (d instanceof ApiError) return refuse(d, 'rejected');
      if (d) {
        if (d.attribution) ctx.attribution = { ...ctx.attribution, ...d.attribution };
        if (d.upstreamKey !== undefined) upstreamKey = d.upstreamKey;
      }
    }
  }

  // plan
  if (endpoint === 'messages' && ctx.body) {
    const planning = ctx.optimize && env.planner !== null;
    // The levers read clawback's own headers too; without them nothing reads the plan's headers.
    const plan = newRequestPlan({ body: ctx.body, attribution: ctx.attribution, headers: planning ? { ...plain, ...own } : plain, catalog: env.catalog, deferMs: ch.deferMs });
    ctx.plan = plan;
    if (planning && env.planner) await runPlanner(env.planner, plan, (m) => process.stderr.write(`clawback gateway: ${m}\n`));
  }
  if (metered) {
    for (const h of env.hooks) {
      if (!h.beforeSend) continue;
      const d = await h.beforeSend(ctx);
      if (d instanceof ApiError) return refuse(d, 'rejected');
    }
  }

  // send
  const sentBody = ctx.plan?.body ?? ctx.body;
  const served = sentBody && typeof sentBody['model'] === 'string' ? sentBody['model'] : null;
  trace.servedModel = served;
  let out: Buffer | Readable | null = streamBody;
  if (raw !== null) out = ctx.plan && ctx.plan.body !== ctx.plan.original ? Buffer.from(JSON.stringify(ctx.plan.body)) : raw;
  if (Buffer.isBuffer(out)) {
    forward['content-length'] = String(out.length);
    sentBytes = out;
  }
  if (upstreamKey !== null) {
    delete forward['authorization'];
    forward['x-api-key'] = upstreamKey;
  }
  if (metered && endpoint !== 'models' && endpoint !== 'other') forward['accept-encoding'] = 'identity';

  let up: UpstreamResponse;
  try {
    up = await env.upstream.send({ method, path: path + search, headers: forward, body: out, signal: ac });
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    trace.retries = err.retries;
    if (err.kind === 'aborted') {
      trace.outcome = 'aborted';
      trace.status = 499;
      trace.endedAt = Date.now();
      return record();
    }
    const e = err.kind === 'timeout'
      ? new ApiError('timeout_error', `The upstream API did not answer in time (${err.message}).`)
      : new ApiError('api_error', `The upstream API is unreachable: ${err.message}`, 502);
    return refuse(e, 'error');
  }
  trace.status = up.status;
  trace.retries = up.retries;
  trace.requestId = first(up.headers['request-id']) ?? null;

  const headers: Record<string, string | string[]> = {};
  for (const k in up.headers) {
    const v = up.headers[k];
    if (v !== undefined && !DROP_RESPONSE.has(k)) headers[k] = v;
  }
  if (metered) headers['x-clawback-request-id'] = id;
  if (served !== null) headers['x-clawback-model'] = served;
  const encoding = first(up.headers['content-encoding']);
  const contentType = first(up.headers['content-type']) ?? '';
  const bp = endpoint === 'batches' ? batchPath(path) : null;

  // batch objects: results_url rewritten to the gateway (the body is small; it is read whole)
  if (bp && bp.action !== 'results' && up.status < 300 && contentType.includes('json') && (!encoding || encoding === 'identity')) {
    await relayBatchObject(env, req, res, up, headers, trace);
    return record();
  }

  // an answer the output lever's cap may cut, which its config says to continue: read whole, continued if cut
  const cont = endpoint === 'messages' && up.status === 200 && ctx.optimize && sentBody && contentType.includes('json') && (!encoding || encoding === 'identity')
    ? continuationFor(env.planner, ctx.plan) : null;
  if (cont && sentBody) {
    await relayContinued({ upstream: env.upstream, path: path + search, forward, sent: sentBody, policy: cont, signal: ac }, up, headers, res, trace);
    trace.endedAt = Date.now();
    return record();
  }

  let tap: BodyTap | null = null;
  let sse: SseTap | null = null;
  let copy: CopyTap | null = null;
  if (endpoint === 'messages' && contentType.includes('text/event-stream')) tap = sse = new SseTap();
  else if (endpoint === 'messages' || up.status >= 400) tap = copy = new CopyTap(endpoint === 'messages' ? undefined : 1024 * 1024);
  else if (bp?.action === 'results' && up.status < 300 && bp.batchId) {
    const batchId = bp.batchId;
    trace.batchId = batchId;
    tap = new LineTap((line) => meterResult(env, ctx, trace, batchId, line));
  }
  if (tap && metered) tap = decodingTap(encoding, tap);
  else if (!metered) tap = null;

  const how = await relay(up, headers, res, tap, trace);
  trace.endedAt = Date.now();
  if (tap) await tap.end();
  trace.outcome = how === 'aborted' ? 'aborted' : how === 'error' || up.status >= 400 ? 'error' : 'ok';

  if (sse) {
    traceStream(trace, sse.tap.result);
    estimateAbortedOutput(trace, sse.tap, env.catalog);
  } else if (copy) traceJson(trace, copy.json());
  traceErrorType(trace);
  return record();
}

async function relayBatchObject(
  env: PipelineEnv, req: IncomingMessage, res: ServerResponse, up: UpstreamResponse, headers: Record<string, string | string[]>, trace: Trace,
): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of up.body) chunks.push(c as Buffer);
  } catch {
    trace.outcome = res.destroyed ? 'aborted' : 'error';
    res.destroy();
    return;
  }
  trace.firstByteAt = Date.now();
  let body = Buffer.concat(chunks);
  try {
    const doc = JSON.parse(body.toString('utf8')) as unknown;
    const host = first(req.headers['host']);
    if (host && rewriteResultsUrls(doc, env.upstream.origin + env.upstream.basePath, `http://${host}`) > 0) body = Buffer.from(JSON.stringify(doc));
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
      const d = doc as Obj;
      if (d['type'] === 'message_batch' && typeof d['id'] === 'string') trace.batchId = d['id'];
    }
  } catch {
    // not JSON after all: relay as received
  }
  headers['content-length'] = String(body.length);
  res.writeHead(up.status, headers);
  res.end(body);
  trace.endedAt = Date.now();
  trace.outcome = 'ok';
}

function meterResult(env: PipelineEnv, ctx: GatewayContext, parent: Trace, batchId: string, line: string): void {
  const r = succeededResult(line);
  if (!r) return;
  const key = `${batchId}:${r.customId}`;
  if (env.seenResults.has(key)) return;
  env.seenResults.add(key);
  const rec = batchResultRecord(env.catalog, parent, batchId, r, ctx.attribution);
  env.store.append(rec);
  for (const h of env.hooks) {
    try {
      h.afterRecord?.(rec, ctx);
    } catch (err) {
      process.stderr.write(`clawback gateway: hook ${h.name} afterRecord failed: ${(err as Error).message}\n`);
    }
  }
}
