/**
 * Continuing an answer our cap truncated, so the client never sees a truncation it did not ask for.
 *
 * How: when a (non-streaming) response comes back with `stop_reason: "max_tokens"` and the client's own max_tokens
 * was higher than the cap we sent, a follow-up request is sent with the same body plus the partial answer as an
 * assistant prefill (the last message, role "assistant"; trailing whitespace removed because the API rejects it
 * there) and `max_tokens` set to what the client's limit leaves. The model goes on from where the prefill ends (it
 * writes the removed whitespace again itself). The two answers are merged into one response: the trimmed partial
 * text and the continuation joined, usage summed (both calls
 * are billed), the stop reason and stop sequence of the last call. This works for plain text and for JSON answers
 * (a JSON document cut mid-way is continued from the exact character). It does not apply to answers that ended in
 * a tool call or carry thinking blocks (a prefill cannot hold them), nor to streamed responses, whose bytes are
 * already on their way to the client. A client's own prefill is kept: the partial answer is appended to it.
 * The gateway (gateway/continue.ts) and the SDK wrapper call this through metering/continuation.ts, which also
 * meters every call; levers/plan.ts `continuationFor` says when a request qualifies.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface MessageResponse extends Obj {
  content: unknown[];
  stop_reason?: unknown;
  usage?: unknown;
}

export function isMessageResponse(v: unknown): v is MessageResponse {
  return isObj(v) && v['type'] === 'message' && Array.isArray(v['content']);
}

function textOf(r: MessageResponse): string | null {
  let out = '';
  for (const b of r.content) {
    if (!isObj(b) || b['type'] !== 'text' || typeof b['text'] !== 'string') return null;
    out += b['text'];
  }
  return out;
}

/** Whether a truncated answer can be continued with a prefill: cut by max_tokens, text blocks only. */
export function canContinue(sent: Readonly<Obj>, r: MessageResponse): boolean {
  if (r.stop_reason !== 'max_tokens' || sent['stream'] === true) return false;
  const thinking = isObj(sent['thinking']) && sent['thinking']['type'] !== 'disabled';
  return !thinking && textOf(r) !== null;
}

/** The follow-up request: the body sent, with the partial answer as assistant prefill and the remaining budget. */
export function continuationBody(sent: Readonly<Obj>, soFar: string, remaining: number): Obj {
  const trimmed = soFar.replace(/\s+$/, '');
  const messages = Array.isArray(sent['messages']) ? [...(sent['messages'] as unknown[])] : [];
  const last = messages.at(-1);
  if (isObj(last) && last['role'] === 'assistant') {
    // The client prefilled: our partial answer goes after its prefill (soFar already starts after it).
    const own = typeof last['content'] === 'string' ? last['content'] : (Array.isArray(last['content']) ? last['content'] : []).map((b) => (isObj(b) && typeof b['text'] === 'string' ? b['text'] : '')).join('');
    messages[messages.length - 1] = { ...last, content: (own + soFar).replace(/\s+$/, '') };
  } else {
    messages.push({ role: 'assistant', content: trimmed });
  }
  return { ...sent, messages, max_tokens: remaining };
}

function num(u: unknown, k: string): number {
  return isObj(u) && typeof u[k] === 'number' ? u[k] : 0;
}

/** Usage of two billed calls, summed field by field (the cache split too). */
export function sumUsage(a: unknown, b: unknown): Obj {
  const keys = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'];
  const out: Obj = isObj(a) ? { ...a } : {};
  for (const k of keys) out[k] = num(a, k) + num(b, k);
  const ca = isObj(a) ? a['cache_creation'] : undefined;
  const cb = isObj(b) ? b['cache_creation'] : undefined;
  if (isObj(ca) || isObj(cb)) {
    out['cache_creation'] = {
      ephemeral_5m_input_tokens: num(ca, 'ephemeral_5m_input_tokens') + num(cb, 'ephemeral_5m_input_tokens'),
      ephemeral_1h_input_tokens: num(ca, 'ephemeral_1h_input_tokens') + num(cb, 'ephemeral_1h_input_tokens'),
    };
  }
  return out;
}

/** One response from a truncated answer and its continuation. */
export function mergeContinuation(first: MessageResponse, next: MessageResponse): MessageResponse {
  const a = textOf(first) ?? '';
  const nextBlocks = next.content.filter(isObj);
  const firstText = nextBlocks[0]?.['type'] === 'text' ? String(nextBlocks[0]['text'] ?? '') : '';
  const rest = nextBlocks[0]?.['type'] === 'text' ? nextBlocks.slice(1) : nextBlocks;
  return {
    ...first,
    content: [{ type: 'text', text: a.replace(/\s+$/, '') + firstText }, ...rest],
    stop_reason: next.stop_reason,
    stop_sequence: next['stop_sequence'] ?? null,
    usage: sumUsage(first.usage, next.usage),
  };
}

export interface ContinueResult {
  readonly response: MessageResponse;
  /** Follow-up calls made. */
  readonly calls: number;
}

/**
 * Continues `first` (the answer to `sent`) until it ends by itself, the client's own limit is spent, or
 * `maxCalls` follow-ups were made. `send` performs one Messages API call and returns its JSON body.
 */
export async function continueTruncated(
  send: (body: Obj) => Promise<unknown>,
  sent: Readonly<Obj>,
  first: MessageResponse,
  clientMax: number,
  maxCalls = 2,
): Promise<ContinueResult> {
  let response = first;
  let calls = 0;
  while (calls < maxCalls && canContinue(sent, response)) {
    const used = num(response.usage, 'output_tokens');
    const remaining = clientMax - used;
    if (remaining <= 0) break;
    const body = continuationBody(sent, textOf(response) ?? '', remaining);
    const next = await send(body);
    calls++;
    if (!isMessageResponse(next)) break;
    response = mergeContinuation(response, next);
  }
  return { response, calls };
}
