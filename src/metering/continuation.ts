/**
 * Continuing an answer the output lever's cap truncated, and metering it: shared by the gateway and the SDK wrapper.
 * The follow-up calls and the merge are levers/output-budget-continue.ts; this file adds what metering needs. Each
 * upstream call is billed by the API on its own (its own prompt, its own price tier), so the record's usage is the
 * last call's with every earlier call as an extra billed step in `usage.iterations` (type "continuation"): the one
 * cost engine then prices each call as the API did, and the record's cost is the sum of the calls' bills. The
 * client gets the merged answer with its usage summed field by field.
 */
import type { ContinuationPolicy } from '../levers/plan.js';
import { continueTruncated, isMessageResponse, type MessageResponse } from '../levers/output-budget-continue.js';
import type { Usage, UsageIteration } from '../pricing/usage.js';

type Obj = Record<string, unknown>;

export interface ContinuedAnswer {
  /** The answer the client gets (the first one unchanged when nothing was continued). */
  readonly response: MessageResponse;
  /** Follow-up calls that returned an answer (each billed). */
  readonly calls: number;
  /** The usage to meter: every billed call, as billed steps (see above). */
  readonly usage: Usage;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** One call's billed steps as iterations: its top-level counts (type "continuation") and its own extra steps. */
function asSteps(u: Usage): UsageIteration[] {
  const top: UsageIteration = {
    type: 'continuation',
    input_tokens: n(u.input_tokens),
    output_tokens: n(u.output_tokens),
    cache_creation_input_tokens: n(u.cache_creation_input_tokens),
    cache_read_input_tokens: n(u.cache_read_input_tokens),
  };
  if (u.cache_creation) top.cache_creation = u.cache_creation;
  return [top, ...(u.iterations ?? []).filter((it) => it && it.type !== 'message')];
}

/** The usage of several billed calls of one answer (in call order) as one usage object the cost engine prices per call. */
export function billedUsage(calls: readonly Usage[]): Usage {
  const last = calls.at(-1);
  if (!last) return {};
  if (calls.length === 1) return last;
  const earlier = calls.slice(0, -1);
  const steps = earlier.flatMap(asSteps);
  const out: Usage = { ...last, iterations: [...(last.iterations ?? []), ...steps] };
  const searches = calls.reduce((s, u) => s + n(u.server_tool_use?.web_search_requests), 0);
  if (searches > 0) out.server_tool_use = { ...last.server_tool_use, web_search_requests: searches };
  return out;
}

/**
 * Continues `first` (the answer to `sent`) per `policy`. `send` makes one Messages call with a body and resolves
 * to its JSON answer, or to null when the call failed (a failed call is not billed; the answer so far is kept).
 */
export async function continueAnswer(
  send: (body: Obj) => Promise<unknown>, sent: Readonly<Obj>, first: MessageResponse, policy: ContinuationPolicy,
): Promise<ContinuedAnswer> {
  const parts: Usage[] = [isObj(first.usage) ? (first.usage as Usage) : {}];
  const { response } = await continueTruncated(
    async (body) => {
      const next = await send(body);
      if (isMessageResponse(next)) parts.push(isObj(next.usage) ? (next.usage as Usage) : {});
      return next;
    },
    sent, first, policy.clientMax, policy.maxCalls,
  );
  const billed = parts.length - 1;
  if (billed > 0) policy.note();
  return { response: billed > 0 ? response : first, calls: billed, usage: billedUsage(parts) };
}
