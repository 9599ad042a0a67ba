/**
 * What a response says about its request, written into the Trace the same way by the gateway and the SDK wrapper:
 * from the SSE usage tap (streams) or from the JSON body (a message, or an error).
 */
import type { Usage } from '../pricing/usage.js';
import { errorTypeForStatus } from '../wire/errors.js';
import type { TappedResponse } from '../wire/usage-tap.js';
import type { Trace } from './trace.js';

type Obj = Record<string, unknown>;

/** A tapped stream: its usage, id, model and stop reason. A stream ending in an `error` event is not billed. */
export function traceStream(trace: Trace, r: TappedResponse): void {
  trace.usage = r.usage;
  trace.messageId = r.id;
  if (r.model) trace.servedModel = r.model;
  trace.stopReason = r.stopReason;
  if (r.error) {
    // A stream that ends in an `error` event is not billed (the emulator's rule too); its usage is kept.
    trace.errorType = r.error.type;
    trace.unbilled = true;
    if (trace.outcome === 'ok') trace.outcome = 'error';
  }
}

/** A JSON body: a Messages answer (on /v1/messages) or an error object. */
export function traceJson(trace: Trace, doc: unknown): void {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return;
  const d = doc as Obj;
  if (d['type'] === 'message' && trace.endpoint === 'messages') {
    if (d['usage'] && typeof d['usage'] === 'object') trace.usage = d['usage'] as Usage;
    if (typeof d['id'] === 'string') trace.messageId = d['id'];
    if (typeof d['model'] === 'string') trace.servedModel = d['model'];
    if (typeof d['stop_reason'] === 'string') trace.stopReason = d['stop_reason'];
  } else if (d['type'] === 'error' && d['error'] && typeof d['error'] === 'object') {
    const t = (d['error'] as Obj)['type'];
    trace.errorType = typeof t === 'string' ? t : null;
  }
}

/** An error status whose body named no error type gets the API's type for that status. */
export function traceErrorType(trace: Trace): void {
  if (trace.outcome === 'error' && trace.errorType === null && trace.status >= 400) trace.errorType = errorTypeForStatus(trace.status);
}
