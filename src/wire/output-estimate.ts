/**
 * How many output tokens an answer's content is, by one rule shared by the emulator (which bills with it) and the
 * gateway and SDK wrapper (which estimate an aborted stream with it, since such a stream never shows its final
 * `message_delta` usage):
 *   - a text block counts its text, a thinking block its visible thinking (tokens.ts `textTokens`);
 *   - a tool call counts its name plus its input JSON, plus BLOCK_OVERHEAD framing tokens.
 * For a stream, a block is what its `content_block_start` and `content_block_delta` events carried (text_delta
 * text, thinking_delta thinking, input_json_delta partial_json) concatenated: the whole answer gives exactly the
 * count of the whole answer; a cut stream gives the count of the part that was sent. Against the real API this is
 * an estimate (see tokens.ts); against the emulator it is exact.
 */
import type { SseEvent } from './sse.js';
import { BLOCK_OVERHEAD, textTokens, type TokenizerFamily } from './tokens.js';
import { UsageTap } from './usage-tap.js';

export type OutputBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'thinking'; readonly thinking: string }
  | { readonly type: 'tool_use'; readonly name: string; readonly json: string };

/** The output tokens of one content block. */
export function outputBlockTokens(b: OutputBlock, family: TokenizerFamily): number {
  if (b.type === 'text') return textTokens(b.text, family);
  if (b.type === 'thinking') return textTokens(b.thinking, family);
  return textTokens(b.name + b.json, family) + BLOCK_OVERHEAD;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface Acc {
  type: OutputBlock['type'];
  name: string;
  body: string;
}

/** Accumulates streamed content blocks (as event objects) and counts their output tokens. */
export class OutputEstimate {
  private readonly blocks = new Map<number, Acc>();

  /** A `content_block_start` event's data. */
  start(data: unknown): void {
    if (!isObj(data) || typeof data['index'] !== 'number' || !isObj(data['content_block'])) return;
    const b = data['content_block'];
    const type = b['type'];
    if (type === 'text') this.blocks.set(data['index'], { type, name: '', body: str(b['text']) });
    else if (type === 'thinking') this.blocks.set(data['index'], { type, name: '', body: str(b['thinking']) });
    else if (type === 'tool_use') this.blocks.set(data['index'], { type, name: str(b['name']), body: '' });
  }

  /** A `content_block_delta` event's data. */
  delta(data: unknown): void {
    if (!isObj(data) || typeof data['index'] !== 'number' || !isObj(data['delta'])) return;
    const acc = this.blocks.get(data['index']);
    const d = data['delta'];
    if (!acc) return;
    if (d['type'] === 'text_delta') acc.body += str(d['text']);
    else if (d['type'] === 'thinking_delta') acc.body += str(d['thinking']);
    else if (d['type'] === 'input_json_delta') acc.body += str(d['partial_json']);
  }

  tokens(family: TokenizerFamily): number {
    let n = 0;
    for (const a of this.blocks.values()) {
      n += a.type === 'tool_use' ? outputBlockTokens({ type: 'tool_use', name: a.name, json: a.body }, family) : textTokens(a.body, family);
    }
    return n;
  }
}

/**
 * The usage tap (usage-tap.ts) that also keeps the content events, to estimate the output of a stream that ends
 * before its `message_delta`. The events' data is kept as received and parsed only when `outputTokens` is asked,
 * so a stream that ends normally costs one array push per delta.
 */
export class OutputUsageTap extends UsageTap {
  private readonly content: SseEvent[] = [];
  /** Whether a `message_delta` (the final usage) was seen. */
  sawMessageDelta = false;

  override onEvent(e: SseEvent): void {
    if (e.event === 'content_block_start' || e.event === 'content_block_delta') {
      this.content.push(e);
      return;
    }
    if (e.event === 'message_delta') this.sawMessageDelta = true;
    super.onEvent(e);
  }

  /** The output tokens of the content received so far. */
  outputTokens(family: TokenizerFamily): number {
    const est = new OutputEstimate();
    for (const e of this.content) {
      let d: unknown;
      try {
        d = JSON.parse(e.data);
      } catch {
        continue;
      }
      if (e.event === 'content_block_start') est.start(d);
      else est.delta(d);
    }
    return est.tokens(family);
  }
}
