/**
 * Writes one message as the Messages API streams it: message_start (input-side usage, output_tokens 1), ping,
 * then per block content_block_start / content_block_delta... / content_block_stop (text_delta; input_json_delta
 * in several pieces; thinking_delta then signature_delta), message_delta with the stop reason and cumulative usage
 * (input fields repeated), message_stop. A mid-stream fault sends an `error` event after the first block starts.
 *
 * Billing (what `bill` is called with, once):
 *   - a stream that runs to its end is billed in full, just before its `message_delta` goes out;
 *   - a stream whose client goes away first is billed for the input side and the output it generated before it saw
 *     the disconnect: the output tokens (wire/output-estimate.ts, the rule answers.ts bills with) of the content
 *     events whose write had completed (handed to the socket) when the response closed, at least 1. Writes still
 *     pending then, and events after it, are not billed. Deltas are paced (`perDeltaMs`), so a client that stops
 *     after N deltas is billed for exactly those N: what a gateway read is what was billed;
 *   - a stream that ends in an `error` event is not billed (`bill` is never called).
 */
import type { ServerResponse } from 'node:http';
import { OutputEstimate } from '../wire/output-estimate.js';
import { encodeSse } from '../wire/sse.js';
import type { TokenizerFamily } from '../wire/tokens.js';
import type { ContentBlock } from './answers.js';
import { sleep } from './http.js';

export interface StreamMessage {
  readonly id: string;
  readonly model: string;
  readonly content: readonly ContentBlock[];
  readonly stop_reason: string;
  readonly stop_sequence: string | null;
  readonly usage: Record<string, unknown>;
}

/** What a stream is billed for: the whole message, or (cut short by the client) its start usage with this output. */
export type StreamBill = { readonly complete: true } | { readonly complete: false; readonly usage: Record<string, unknown> };

export interface StreamOptions {
  /** Delay between deltas (real time). */
  readonly perDeltaMs?: number;
  /** Send an overloaded `error` event instead of finishing. */
  readonly midStreamError?: boolean;
  /** The model's tokenizer, for counting the output of a stream cut short. */
  readonly family?: TokenizerFamily;
  /** Called once when the stream is billed (see the rules above); never for a stream that ends in an error. */
  readonly bill?: (b: StreamBill) => void;
}

/** Splits a string into pieces of about `size` characters (at least `min` pieces when it is long enough). */
function pieces(s: string, size: number, min = 1): string[] {
  if (s.length === 0) return [];
  const n = Math.max(min, Math.ceil(s.length / size));
  const step = Math.ceil(s.length / Math.min(n, s.length));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += step) out.push(s.slice(i, i + step));
  return out;
}

export async function writeMessageStream(res: ServerResponse, m: StreamMessage, opts: StreamOptions = {}): Promise<void> {
  const { perDeltaMs: delay = 0, family = 'claude-2025', bill } = opts;
  const u = m.usage;
  const startUsage: Record<string, unknown> = { ...u, output_tokens: 1 };
  delete startUsage['server_tool_use'];
  // What was handed to the socket: content events count once their write completed, while the response is open.
  const written = new OutputEstimate();
  let billed = false;
  const settle = (b: StreamBill): void => {
    if (billed) return;
    billed = true;
    bill?.(b);
  };
  if (!opts.midStreamError) {
    res.once('close', () => {
      settle({ complete: false, usage: { ...startUsage, output_tokens: Math.max(1, written.tokens(family)) } });
    });
  }
  const send = (event: string, data: unknown): boolean => {
    if (res.destroyed) return false;
    if (event !== 'content_block_start' && event !== 'content_block_delta') return res.write(encodeSse(event, data));
    return res.write(encodeSse(event, data), (err) => {
      if (err || billed) return;
      if (event === 'content_block_start') written.start(data);
      else written.delta(data);
    });
  };
  send('message_start', {
    type: 'message_start',
    message: { id: m.id, type: 'message', role: 'assistant', model: m.model, content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage: startUsage },
  });
  send('ping', { type: 'ping' });

  for (const [index, b] of m.content.entries()) {
    if (res.destroyed) return;
    if (b.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (opts.midStreamError) break;
      for (const p of pieces(b.text, 24)) {
        if (res.destroyed) return;
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } });
        await sleep(delay);
      }
    } else if (b.type === 'thinking') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      if (opts.midStreamError) break;
      for (const p of pieces(b.thinking, 48)) {
        if (res.destroyed) return;
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: p } });
        await sleep(delay);
      }
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } });
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      if (opts.midStreamError) break;
      for (const p of pieces(JSON.stringify(b.input), 16, 3)) {
        if (res.destroyed) return;
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } });
        await sleep(delay);
      }
    }
    send('content_block_stop', { type: 'content_block_stop', index });
    if (index === 0) send('ping', { type: 'ping' });
  }
  if (opts.midStreamError) {
    send('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    res.end();
    return;
  }
  const deltaUsage: Record<string, unknown> = {
    input_tokens: u['input_tokens'],
    cache_creation_input_tokens: u['cache_creation_input_tokens'],
    cache_read_input_tokens: u['cache_read_input_tokens'],
    output_tokens: u['output_tokens'],
  };
  if (u['server_tool_use'] !== undefined) deltaUsage['server_tool_use'] = u['server_tool_use'];
  if (res.destroyed) return;
  settle({ complete: true });
  send('message_delta', { type: 'message_delta', delta: { stop_reason: m.stop_reason, stop_sequence: m.stop_sequence, stop_details: null }, usage: deltaUsage });
  send('message_stop', { type: 'message_stop' });
  res.end();
}
