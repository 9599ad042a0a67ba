/**
 * What the emulated model says: deterministic content for a validated request, cut exactly as the API cuts it.
 *
 * - The answer comes from the first matching scenario, else a default text derived from the prompt (same prompt,
 *   same words; its length grows with the prompt's last user message).
 * - Output budget (`max_tokens`) is spent in order: thinking, text, tool calls. When it runs out the answer is cut
 *   there and `stop_reason` is "max_tokens" with `output_tokens` = max_tokens.
 * - `stop_sequences`: the earliest occurrence in the text ends the answer with `stop_reason: "stop_sequence"` and
 *   `stop_sequence` set; the matched text itself is NOT included in `content` (the API's observed behaviour) nor
 *   billed. A scenario `tail` makes the text go on after the tail forever, so only a stop sequence or the cap ends it.
 * - `output_tokens` is at least 1 for any reply, and 0 only for `max_tokens: 0` (cache pre-warming).
 */
import { createHash } from 'node:crypto';
import { outputBlockTokens } from '../wire/output-estimate.js';
import { CHARS_PER_TOKEN_X10, type TokenizerFamily } from '../wire/tokens.js';
import { findScenario, type Scenario } from './scenarios.js';
import { isObj, type Obj, type ValidRequest } from './validate.js';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type StopReason = NonNullable<Scenario['stop_reason']>;

export interface Answer {
  readonly content: ContentBlock[];
  readonly outputTokens: number;
  readonly stopReason: StopReason;
  readonly stopSequence: string | null;
  readonly webSearches: number;
  readonly scenario: string | null;
}

const WORDS = (
  'the a cache prompt token model answer request budget cost saves reads writes prefix system tools message ' +
  'stream usage batch window minute hour price input output emulator clawback claude result value steady ' +
  'quickly carefully exactly simply often rarely every each most some this that here there because while'
).split(' ');

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((b) => (isObj(b) && b['type'] === 'text' && typeof b['text'] === 'string' ? b['text'] : '')).join('\n');
}

export function systemText(body: Obj): string {
  return textOf(body['system']);
}

export function lastUserText(body: Obj): string {
  const ms = Array.isArray(body['messages']) ? body['messages'] : [];
  for (let i = ms.length - 1; i >= 0; i--) {
    const m: unknown = ms[i];
    if (isObj(m) && m['role'] === 'user') return textOf(m['content']);
  }
  return '';
}

/** A deterministic stream of pseudo-random numbers seeded by a string. */
function rng(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let x = h.readUInt32LE(0) || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Deterministic prose of at least `chars` characters. */
function prose(seed: string, chars: number): string {
  const next = rng(seed);
  let out = '';
  let sentence = 0;
  while (out.length < chars) {
    const w = WORDS[next() % WORDS.length]!;
    out += sentence === 0 ? (out ? ' ' : '') + w[0]!.toUpperCase() + w.slice(1) : ' ' + w;
    sentence++;
    if (sentence >= 6 + (next() % 8)) {
      out += '.';
      sentence = 0;
    }
  }
  return out;
}

/** Text of exactly `tokens` tokens for the family. */
function proseOfTokens(seed: string, tokens: number, family: TokenizerFamily): string {
  const chars = Math.floor((tokens * CHARS_PER_TOKEN_X10[family]) / 10);
  return prose(seed, chars).slice(0, chars);
}

function defaultText(body: Obj, family: TokenizerFamily): string {
  const user = lastUserText(body);
  const seed = `${String(body['model'])}\u0000${systemText(body)}\u0000${user}`;
  const n = rng(seed)();
  const tokens = 12 + (n % 24) + Math.min(400, Math.floor(user.length / 12));
  // Whole words, ending in a full stop.
  const text = prose(seed, Math.floor((tokens * CHARS_PER_TOKEN_X10[family]) / 10));
  return text.replace(/[ .]*$/, '') + '.';
}

function toolUseId(seed: string, i: number): string {
  const h = createHash('sha256').update(`${seed}\u0000tool\u0000${i}`).digest('base64url').replace(/[-_]/g, 'x');
  return `toolu_01${h.slice(0, 22)}`;
}

/** Output tokens are counted by the rule streams are estimated with (wire/output-estimate.ts). */
function toolTokens(name: string, input: Record<string, unknown>, family: TokenizerFamily): number {
  return outputBlockTokens({ type: 'tool_use', name, json: JSON.stringify(input) }, family);
}

export function answer(req: ValidRequest, scenarios: readonly Scenario[]): Answer {
  const { body, maxTokens } = req;
  const family = req.model.entry.tokenizer;
  const sc = findScenario(scenarios, { model: req.model.entry.id, system: systemText(body), user: lastUserText(body) });
  const seed = `${req.model.entry.id}\u0000${JSON.stringify(body['messages'] ?? null)}`;
  const webSearches = sc?.web_searches ?? 0;
  if (maxTokens === 0) return { content: [], outputTokens: 0, stopReason: 'max_tokens', stopSequence: null, webSearches: 0, scenario: sc?.name ?? null };

  const content: ContentBlock[] = [];
  let budget = maxTokens;
  let used = 0;
  let truncated = false;

  // 1. thinking (only when the request turns thinking on)
  // Manual extended thinking never spends more than its budget_tokens.
  const th = body['thinking'];
  const thinkingBudget = req.thinking === 'enabled' && isObj(th) && typeof th['budget_tokens'] === 'number' ? th['budget_tokens'] : Infinity;
  const thinkingTokens = req.thinking !== 'off' ? Math.min(thinkingBudget, sc?.thinking_tokens ?? 0) : 0;
  if (thinkingTokens > 0) {
    const t = Math.min(thinkingTokens, budget);
    const visible = req.thinkingDisplay === 'omitted' ? '' : proseOfTokens(`${seed}\u0000thinking`, t, family);
    content.push({ type: 'thinking', thinking: visible, signature: createHash('sha256').update(`${seed}\u0000sig\u0000${t}`).digest('base64') });
    used += t;
    budget -= t;
    if (t < thinkingTokens) truncated = true;
  }

  // 2. text, possibly followed by a tail and endless rambling
  let text: string;
  if (sc?.text !== undefined) text = sc.text;
  else if (sc?.length !== undefined) text = proseOfTokens(seed, sc.length, family);
  else if (sc && sc.tool_calls.length > 0) text = '';
  else text = defaultText(body, family);
  const rambles = sc?.tail !== undefined;
  if (rambles) {
    // Enough rambling that only a stop sequence or max_tokens can end it.
    const need = Math.ceil(((budget + 2) * CHARS_PER_TOKEN_X10[family]) / 10);
    text += (sc?.tail ?? '') + ' ' + prose(`${seed}\u0000ramble`, Math.max(0, need - text.length));
  }
  let stopSequence: string | null = null;
  let cut = -1;
  for (const s of req.stopSequences) {
    if (s.length === 0) continue;
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) {
      cut = at;
      stopSequence = s;
    }
  }
  if (cut >= 0) text = text.slice(0, cut);
  if (!truncated && text.length > 0) {
    const t = outputBlockTokens({ type: 'text', text }, family);
    if (t > budget) {
      text = text.slice(0, Math.floor((budget * CHARS_PER_TOKEN_X10[family]) / 10));
      used += budget;
      budget = 0;
      truncated = true;
      stopSequence = null;
    } else {
      used += t;
      budget -= t;
    }
    if (text.length > 0) content.push({ type: 'text', text });
  }

  // 3. tool calls (not after a stop sequence or the cap)
  let calledTools = false;
  if (!truncated && stopSequence === null && sc) {
    sc.tool_calls.forEach((c, i) => {
      if (truncated) return;
      const t = toolTokens(c.name, c.input, family);
      if (t > budget) {
        used += budget;
        budget = 0;
        truncated = true;
        return;
      }
      content.push({ type: 'tool_use', id: toolUseId(seed, i), name: c.name, input: c.input });
      used += t;
      budget -= t;
      calledTools = true;
    });
  }

  const stopReason: StopReason = truncated ? 'max_tokens' : stopSequence !== null ? 'stop_sequence' : calledTools ? 'tool_use' : (sc?.stop_reason ?? 'end_turn');
  return {
    content,
    outputTokens: Math.max(1, Math.min(maxTokens, used)),
    stopReason,
    stopSequence: truncated ? null : stopSequence,
    webSearches,
    scenario: sc?.name ?? null,
  };
}
