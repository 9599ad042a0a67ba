/**
 * The non-streamed answer of a request whose answer may be continued (the output lever capped max_tokens below the
 * client's own limit and its config says continue; see metering/continuation.ts). The upstream body is read whole
 * (it is one JSON message); when it stopped at our cap, follow-up calls go upstream with the partial answer as
 * assistant prefill, and the client gets one JSON message: merged content, summed usage, the last call's stop
 * reason. Otherwise the client gets the upstream's bytes unchanged. Streamed answers are never continued (their
 * bytes are already on the way to the client when the cut shows).
 */
import type { ServerResponse } from 'node:http';
import type { ContinuationPolicy } from '../levers/plan.js';
import { isMessageResponse, canContinue } from '../levers/output-budget-continue.js';
import { continueAnswer } from '../metering/continuation.js';
import { traceJson } from '../metering/response.js';
import type { Trace } from './meter.js';
import { UpstreamError, type CancelSignal, type Upstream, type UpstreamResponse } from './upstream.js';

type Obj = Record<string, unknown>;

export interface ContinueInput {
  readonly upstream: Upstream;
  readonly path: string;
  /** The headers the first call went upstream with (content-length is set per follow-up). */
  readonly forward: Readonly<Record<string, string | string[]>>;
  readonly sent: Readonly<Obj>;
  readonly policy: ContinuationPolicy;
  readonly signal: CancelSignal;
}

async function readAll(body: UpstreamResponse['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function parse(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Relays (and, where it applies, continues) a 200 JSON answer; fills the trace as traceJson would, with every billed call. */
export async function relayContinued(
  i: ContinueInput, up: UpstreamResponse, headers: Record<string, string | string[]>, res: ServerResponse, trace: Trace,
): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readAll(up.body);
  } catch {
    trace.outcome = res.destroyed ? 'aborted' : 'error';
    res.destroy();
    return;
  }
  trace.firstByteAt = Date.now();
  const first = parse(raw);
  let out = raw;
  if (isMessageResponse(first) && canContinue(i.sent, first)) {
    const send = async (body: Obj): Promise<unknown> => {
      const bytes = Buffer.from(JSON.stringify(body));
      try {
        const r = await i.upstream.send({ method: 'POST', path: i.path, headers: { ...i.forward, 'content-length': String(bytes.length) }, body: bytes, signal: i.signal });
        const text = await readAll(r.body);
        return r.status === 200 ? parse(text) : null;
      } catch (err) {
        if (err instanceof UpstreamError || i.signal.aborted) return null;
        throw err;
      }
    };
    const done = await continueAnswer(send, i.sent, first, i.policy);
    traceJson(trace, done.response);
    trace.usage = done.usage;
    if (done.calls > 0) out = Buffer.from(JSON.stringify(done.response));
  } else {
    traceJson(trace, first);
  }
  if (res.destroyed) {
    trace.outcome = 'aborted';
    return;
  }
  headers['content-length'] = String(out.length);
  delete headers['content-encoding'];
  res.writeHead(up.status, headers);
  res.end(out);
  trace.outcome = 'ok';
}
