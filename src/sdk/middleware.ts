/**
 * The wrapper's middleware: one HTTP attempt of the SDK, through clawback, in-process. The same steps as the
 * gateway's pipeline (src/gateway/pipeline.ts), with the same shared code:
 *   parse -> attribute (metering/attribution.ts) -> plan (levers/plan.ts, the planner; skipped with
 *   `x-clawback-optimize: off`) -> send plan.body (the caller's bytes when no lever changed it) -> tap the response
 *   as the caller reads it (sdk/tap-body.ts; streams are never buffered) -> meter (metering/trace.ts: cost from the
 *   one cost engine, baseline and savings from planner.settle) -> append the UsageRecord (source "sdk").
 * The SDK runs middleware once per attempt, so each retry is metered as its own request (as the API bills it).
 * Metering never breaks the caller's request: a failure while planning, tapping or recording is logged, not thrown.
 */
import type { Middleware } from '@anthropic-ai/sdk';
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import type { RequestPlan } from '../levers/lever.js';
import { isMessageResponse } from '../levers/output-budget-continue.js';
import { continuationFor, newRequestPlan, runPlanner } from '../levers/plan.js';
import type { Planner } from '../levers/planner.js';
import { attribute, clientKey, keyHasher, last4, parseTags, readClawbackHeaders } from '../metering/attribution.js';
import { batchPath, batchResultRecord, succeededResult } from '../metering/batch-results.js';
import { continueAnswer } from '../metering/continuation.js';
import { sharedFingerprints } from '../metering/prefix-fingerprints.js';
import { estimateAbortedOutput } from '../metering/aborted-stream.js';
import { traceErrorType, traceJson, traceStream } from '../metering/response.js';
import { CopyTap, LineTap, SseTap, type BodyTap } from '../metering/taps.js';
import { buildRecord, endpointOf, newTrace, type Trace } from '../metering/trace.js';
import type { PrefixFingerprint, UsageRecord, UsageStore } from '../store/record.js';
import { ApiError, errorBody, newRequestId } from '../wire/errors.js';
import { createFingerprinter, THREAD_MIN_BYTES, type Fingerprinter } from '../gateway/fingerprints.js';
import type { GatewayContext, GatewayHook } from '../gateway/hooks.js';
import { tapResponse, type BodyEnd } from './tap-body.js';

export interface MiddlewareEnv {
  readonly store: UsageStore;
  readonly salt: () => Promise<string>;
  readonly catalog: Catalog;
  readonly planner: Planner | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly session: string | null;
  readonly optimize: boolean;
  readonly storePrompts: boolean;
  /**
   * Gateway hooks whose `beforeSend` and `afterRecord` run here too (the monitor: budgets, metrics, alerts); a
   * promise while the monitor opens. If it fails to open, requests fail with its error (budgets fail closed).
   */
  readonly hooks: readonly GatewayHook[] | Promise<readonly GatewayHook[]>;
  /** Every record still being built; `flush()` waits for them. */
  readonly pending: Set<Promise<void>>;
  readonly warn: (message: string) => void;
}

type Obj = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The API path of a request URL, whatever base path the client has (".../proxy/v1/messages" -> "/v1/messages"). */
function apiPath(url: URL): string | null {
  const i = url.pathname.indexOf('/v1/');
  return i < 0 ? null : url.pathname.slice(i);
}

function bodyText(body: RequestInit['body']): string | null {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString('utf8');
  return null;
}

function parseObject(text: string | null): Obj | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null;
  } catch {
    return null; // the API answers it with its own 400
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/**
 * Prompt-prefix fingerprints of the body sent, after the caller got its answer: the gateway's fingerprinter, shared
 * by every wrapped client (large bodies on its worker thread when running compiled, small ones at once; the thread
 * is unref'd and started only when a large body comes).
 */
let shared: Fingerprinter | null = null;
function fingerprints(sent: RequestInit['body'], body: Readonly<Obj>, model: CatalogModel | null): PrefixFingerprint[] | Promise<PrefixFingerprint[]> {
  shared ??= createFingerprinter();
  // Bytes only for a body the thread may take (UTF-8 needs at most 3 bytes per UTF-16 code unit).
  const bytes = typeof sent === 'string' && sent.length >= THREAD_MIN_BYTES / 3 ? Buffer.from(sent) : null;
  return shared.compute(bytes, body, model);
}

export function clawbackMiddleware(env: MiddlewareEnv): Middleware {
  let hashKey: ((key: string) => string) | null = null;

  return async (request, next, mctx) => {
    const url = new URL(request.url);
    const path = apiPath(url);
    if (path === null) return next(request);
    const startedAt = Date.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const endpoint = endpointOf(path);

    // attribute: the wrapper's own tags and session, then the request's x-clawback-* headers (stripped before sending)
    const plain: Record<string, string> = {};
    const own: Record<string, string> = {};
    const forward = new Headers();
    let tagHeader: string | undefined;
    for (const [k, v] of request.headers) {
      if (k === 'x-clawback-tags') tagHeader = v;
      if (k.startsWith('x-clawback-')) {
        own[k] = v; // the levers may read clawback's own headers (x-clawback-model-pin); the API never sees them
        continue;
      }
      plain[k] = v;
      forward.set(k, v);
    }
    const ch = readClawbackHeaders(Object.fromEntries(request.headers));
    const tags = { ...env.tags, ...parseTags(tagHeader) };
    const session = ch.session ?? env.session;
    const optimize = env.optimize && ch.optimize;
    const key = clientKey(plain);
    if (key !== null && hashKey === null) hashKey = keyHasher(await env.salt());
    const keyHash = key !== null && hashKey ? hashKey(key) : null;
    const headersSeen = { ...ch, tags, session };
    const trace: Trace = newTrace({
      id: newRequestId(), source: 'sdk', method, path, endpoint, startedAt,
      attribution: attribute(keyHash, null, headersSeen), keyLast4: key ? last4(key) : null,
    });
    trace.retries = Number(request.headers.get('x-stainless-retry-count') ?? 0) || 0;

    // parse and plan
    let body: Obj | null = null;
    let plan: RequestPlan | null = null;
    let sendBody = request.body;
    const buffered = method === 'POST' && (endpoint === 'messages' || endpoint === 'count_tokens' || (endpoint === 'batches' && path === '/v1/messages/batches'));
    if (buffered) {
      body = parseObject(bodyText(request.body));
      if (body) {
        if (typeof body['model'] === 'string') trace.requestedModel = body['model'];
        trace.stream = body['stream'] === true;
        if (typeof body['max_tokens'] === 'number') trace.maxTokens = body['max_tokens'];
        trace.attribution = attribute(keyHash, body, headersSeen);
      }
    }
    if (endpoint === 'messages' && body) {
      plan = newRequestPlan({ body, attribution: trace.attribution, headers: { ...plain, ...own }, catalog: env.catalog, deferMs: ch.deferMs });
      if (optimize && env.planner) await runPlanner(env.planner, plan, env.warn);
    }
    const ctx: Mutable<GatewayContext> = {
      id: trace.id, method, path, search: url.search, endpoint, headers: plain, startedAt, attribution: trace.attribution, body, plan,
      optimize, state: new Map(),
    };
    const hooks = await env.hooks;
    let refusal: ApiError | null = null;
    for (const h of hooks) {
      if (!h.beforeSend || refusal) continue;
      try {
        const d = await h.beforeSend(ctx);
        if (d instanceof ApiError) refusal = d;
      } catch (err) {
        env.warn(`hook ${h.name} beforeSend failed: ${(err as Error).message}`);
      }
    }
    if (plan && plan.body !== plan.original) {
      try {
        sendBody = JSON.stringify(plan.body);
        forward.delete('content-length');
      } catch (err) {
        env.warn(`cannot encode the planned body, the request goes as sent: ${(err as Error).message}`);
        plan.body = plan.original as Obj;
      }
    }
    const sent = plan?.body ?? body;
    trace.servedModel = sent && typeof sent['model'] === 'string' ? sent['model'] : null;

    // Meters at once (planner.settle: the levers learn from this request before the caller can send its next one);
    // the prefix fingerprints are computed afterwards, off the caller's path, and the record is appended with them.
    const record = (): void => {
      let rec: UsageRecord;
      // The caching lever analysed the body it sent: its analysis gives the fingerprints (taken before settling).
      const shared = endpoint === 'messages' && optimize ? sharedFingerprints(env.planner, plan) : null;
      try {
        rec = buildRecord(trace, { catalog: env.catalog, planner: optimize ? env.planner : null, plan, body, storePrompts: env.storePrompts, prefix: [] });
      } catch (err) {
        env.warn(`metering failed, the request was not recorded: ${(err as Error).message}`);
        return;
      }
      for (const h of hooks) {
        try {
          h.afterRecord?.(rec, ctx);
        } catch (err) {
          env.warn(`hook ${h.name} afterRecord failed: ${(err as Error).message}`);
        }
      }
      const p = (async () => {
        try {
          const prefix = shared ?? (endpoint === 'messages' && sent ? await fingerprints(sendBody, sent, plan?.model ?? null) : []);
          env.store.append(prefix.length > 0 ? { ...rec, prefix } : rec);
        } catch (err) {
          env.warn(`metering failed, the request was not recorded: ${(err as Error).message}`);
        }
      })();
      env.pending.add(p);
      void p.finally(() => env.pending.delete(p));
    };
    const callerAborted = (): boolean => mctx.options?.signal?.aborted === true;

    // a hook refused the request (a hard budget): answered here in the API's error shape, never sent, not retried
    if (refusal) {
      trace.status = refusal.status;
      trace.errorType = refusal.type;
      trace.outcome = 'rejected';
      trace.endedAt = Date.now();
      record();
      return new Response(JSON.stringify(errorBody(refusal.type, refusal.message, trace.id)), {
        status: refusal.status,
        headers: { 'content-type': 'application/json', 'request-id': trace.id, 'x-clawback-request-id': trace.id, 'x-should-retry': 'false' },
      });
    }

    // send
    let res: Response;
    try {
      res = await next({ ...request, headers: forward, body: sendBody ?? null });
    } catch (err) {
      trace.endedAt = Date.now();
      if (callerAborted()) {
        trace.outcome = 'aborted';
        trace.status = 499;
      } else if (isAbort(err)) {
        trace.outcome = 'error';
        trace.status = 504;
        trace.errorType = 'timeout_error';
      } else {
        trace.outcome = 'error';
        trace.status = 502;
        trace.errorType = 'api_error';
      }
      record();
      throw err;
    }
    trace.status = res.status;
    trace.requestId = res.headers.get('request-id');
    const contentType = res.headers.get('content-type') ?? '';

    // An answer the output lever's cap may cut, which its config says to continue: read whole, continued if cut
    // (one merged JSON message; each call billed: metering/continuation.ts). Streams are never continued.
    const policy = endpoint === 'messages' && res.status === 200 && optimize && sent && contentType.includes('json') ? continuationFor(env.planner, plan) : null;
    if (policy && sent) {
      let out: unknown;
      try {
        out = await res.json();
      } catch (err) {
        trace.endedAt = Date.now();
        trace.outcome = callerAborted() ? 'aborted' : 'error';
        record();
        throw err;
      }
      trace.firstByteAt = Date.now();
      if (isMessageResponse(out)) {
        forward.delete('content-length');
        const more = async (b: Obj): Promise<unknown> => {
          try {
            const r = await next({ ...request, headers: forward, body: JSON.stringify(b) });
            return r.status === 200 ? await r.json() : null;
          } catch {
            return null; // a failed follow-up is not billed: the answer so far goes back
          }
        };
        const done = await continueAnswer(more, sent, out, policy);
        out = done.response;
        traceJson(trace, out);
        trace.usage = done.usage;
      } else traceJson(trace, out);
      trace.endedAt = Date.now();
      trace.outcome = 'ok';
      record();
      const headers = new Headers(res.headers);
      headers.delete('content-length');
      headers.delete('content-encoding');
      headers.set('x-clawback-request-id', trace.id);
      if (trace.servedModel !== null) headers.set('x-clawback-model', trace.servedModel);
      return new Response(JSON.stringify(out), { status: res.status, headers });
    }

    let tap: BodyTap | null = null;
    let sse: SseTap | null = null;
    let copy: CopyTap | null = null;
    const bp = endpoint === 'batches' ? batchPath(path) : null;
    if (endpoint === 'messages' && contentType.includes('text/event-stream')) tap = sse = new SseTap();
    else if (endpoint === 'messages' || res.status >= 400) tap = copy = new CopyTap(endpoint === 'messages' ? undefined : 1024 * 1024);
    else if (bp?.action === 'results' && res.status < 300 && bp.batchId) {
      const batchId = bp.batchId;
      trace.batchId = batchId;
      tap = new LineTap((line) => {
        const r = succeededResult(line);
        if (r) env.store.append(batchResultRecord(env.catalog, trace, batchId, r, trace.attribution));
      });
    } else if (bp && bp.action !== 'results' && res.status < 300) {
      const id = bp.batchId;
      if (id) trace.batchId = id;
      else tap = copy = new CopyTap(1024 * 1024); // a created batch: its id is in the body
    }

    // Runs synchronously when the body ends, before the caller sees its end: every tap used here (SSE, copy, lines)
    // finishes within its end() call.
    const finish = (how: BodyEnd): void => {
      trace.endedAt = Date.now();
      void tap?.end();
      // The SDK aborts a stream once it reads an `error` event: that stream failed, the caller did not leave it.
      const failed = how === 'error' || (sse !== null && sse.tap.result.error !== null);
      trace.outcome = res.status >= 400 || failed ? 'error' : how;
      if (sse) {
        traceStream(trace, sse.tap.result);
        estimateAbortedOutput(trace, sse.tap, env.catalog);
      } else if (copy) {
        const doc = copy.json();
        traceJson(trace, doc);
        if (endpoint === 'batches' && doc && typeof doc === 'object' && (doc as Obj)['type'] === 'message_batch' && typeof (doc as Obj)['id'] === 'string') {
          trace.batchId = (doc as Obj)['id'] as string;
        }
      }
      traceErrorType(trace);
      record();
    };
    const extra: Record<string, string> = { 'x-clawback-request-id': trace.id };
    if (trace.servedModel !== null) extra['x-clawback-model'] = trace.servedModel;
    try {
      return tapResponse(res, {
        tap,
        headers: extra,
        firstByte: (at) => {
          trace.firstByteAt = at;
        },
        // The SDK's timeout covers only the wait for headers: a body read that is aborted was aborted by the caller
        // (stream.abort(), or leaving a `for await` over a raw stream).
        aborted: (err) => callerAborted() || isAbort(err),
        end: (how) => {
          try {
            finish(how);
          } catch (err) {
            env.warn(`metering failed: ${(err as Error).message}`);
          }
        },
      });
    } catch (err) {
      env.warn(`cannot tap the response, it goes back unmetered: ${(err as Error).message}`);
      return res;
    }
  };
}
