/**
 * What a request body is made of, as routing needs it: the text of the system prompt and of the last user turn, the
 * conversation's depth, and every feature a model must support to serve it (tools, images or documents, thinking,
 * effort, output length). Read from an untyped body: unknown fields are ignored, never rejected.
 */
import { sameValue } from '../wire/prefix-reuse.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RequestFacts {
  readonly model: string | null;
  readonly systemText: string;
  /** Text of the last user message that is not only tool results (the instruction). */
  readonly lastUserText: string;
  /**
   * The same turn without the text blocks that carry pasted material: when the turn has several text blocks, those
   * over 2,000 characters (a document with a question beside it) are dropped.
   */
  readonly lastUserAsk: string;
  /**
   * Length in characters of every text the prompt carries (system, messages, tool definitions, one separator
   * between each), for length estimates: the token estimate is by length, so the text itself is never joined.
   */
  readonly allTextChars: number;
  /** Code fences (```) anywhere in that text. */
  readonly codeFences: number;
  /** Number of messages. */
  readonly turns: number;
  /** tool_use blocks in the history (an agent loop's depth). */
  readonly toolUses: number;
  readonly tools: number;
  /** Tool definitions that are server tools (web search, code execution...). */
  readonly serverTools: number;
  readonly images: number;
  readonly documents: number;
  readonly maxTokens: number | null;
  readonly thinking: 'enabled' | 'adaptive' | null;
  readonly thinkingBudget: number | null;
  readonly effort: string | null;
  readonly stream: boolean;
  readonly hasOutputFormat: boolean;
  readonly metadataUserId: string | null;
  /** temperature other than 1, or top_p / top_k: models after Opus 4.6 reject these. */
  readonly sampling: boolean;
  /** `speed: "fast"` (fast mode). */
  readonly fast: boolean;
  /** `inference_geo` other than the default ("global"), e.g. "us". */
  readonly geo: string | null;
}

function blockText(b: unknown): string {
  if (typeof b === 'string') return b;
  if (!isObj(b)) return '';
  switch (b['type']) {
    case 'text':
      return typeof b['text'] === 'string' ? b['text'] : '';
    case 'tool_use':
      return JSON.stringify(b['input'] ?? {});
    case 'tool_result': {
      const c = b['content'];
      if (typeof c === 'string') return c;
      return Array.isArray(c) ? c.map(blockText).join('\n') : '';
    }
    case 'document': {
      const src = b['source'];
      return isObj(src) && src['type'] === 'text' && typeof src['data'] === 'string' ? src['data'] : '';
    }
    default:
      return '';
  }
}

function contentBlocks(content: unknown): unknown[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : [];
}

export function systemTextOf(body: Readonly<Obj>): string {
  const s = body['system'];
  if (typeof s === 'string') return s;
  return Array.isArray(s) ? s.map(blockText).filter(Boolean).join('\n') : '';
}

const FENCE = /```/g;
function fences(text: string): number {
  if (!text.includes('```')) return 0;
  FENCE.lastIndex = 0;
  let n = 0;
  while (FENCE.exec(text) !== null) n++;
  return n;
}

/**
 * Facts are read once per body object: the routing and output levers (and routing's output hint) all ask about the
 * same request, and a large agent prompt takes a while to walk. clawback never mutates a body in place (a lever that
 * changes one makes a copy); in case a library caller reuses one object for its next request, a memo holds only while
 * the body's top-level fields are the same values and its messages array has the same length and last message.
 */
interface Memo {
  readonly facts: RequestFacts;
  readonly fields: readonly unknown[];
}
const memo = new WeakMap<object, Memo>();

function fieldsOf(body: Readonly<Obj>): unknown[] {
  const out: unknown[] = [];
  for (const k in body) out.push(k, body[k]);
  const messages = body['messages'];
  if (Array.isArray(messages)) out.push(messages.length, messages[messages.length - 1]);
  return out;
}

export function requestFacts(body: Readonly<Obj>): RequestFacts {
  const fields = fieldsOf(body);
  const m = memo.get(body);
  if (m && m.fields.length === fields.length && m.fields.every((v, i) => v === fields[i])) return m.facts;
  const facts = readFacts(body);
  memo.set(body, { facts, fields });
  return facts;
}

/**
 * The length and fences of every tool definition's JSON. An agent resends the same tools (often 10-20 KB of JSON)
 * with every request: when they equal the previous request's, value by value (wire/prefix-reuse.ts sameValue, a few
 * times cheaper than serializing them), the previous counts stand.
 */
let lastTools: { readonly tools: readonly Obj[]; readonly chars: number; readonly fences: number } | null = null;
function toolsText(tools: readonly Obj[]): { chars: number; fences: number } {
  if (tools.length === 0) return { chars: 0, fences: 0 };
  if (lastTools !== null && sameValue(tools, lastTools.tools)) return lastTools;
  let chars = 0;
  let codeFences = 0;
  for (const t of tools) {
    const json = JSON.stringify(t);
    chars += json.length;
    codeFences += fences(json);
  }
  lastTools = { tools, chars, fences: codeFences };
  return lastTools;
}

function readFacts(body: Readonly<Obj>): RequestFacts {
  const messages = Array.isArray(body['messages']) ? body['messages'] : [];
  let lastUserText = '';
  let lastUserAsk = '';
  let toolUses = 0;
  let images = 0;
  let documents = 0;
  // Length and fences of [system, each message's text, each tool's JSON].join('\n'), without building it.
  let chars = 0;
  let codeFences = 0;
  let parts = 0;
  const addText = (t: string): void => {
    chars += t.length;
    codeFences += fences(t);
    parts++;
  };
  for (const m of messages) {
    if (!isObj(m)) continue;
    const blocks = contentBlocks(m['content']);
    for (const b of blocks) {
      if (!isObj(b)) continue;
      if (b['type'] === 'tool_use') toolUses++;
      if (b['type'] === 'image') images++;
      if (b['type'] === 'document') documents++;
      if (b['type'] === 'tool_result' && Array.isArray(b['content'])) {
        for (const x of b['content']) if (isObj(x) && x['type'] === 'image') images++;
      }
    }
    // The message's text: its non-empty blocks' texts, one separator between each.
    let sep = -1;
    for (const b of blocks) {
      const t = blockText(b);
      if (t === '') continue;
      chars += t.length;
      codeFences += fences(t);
      sep++;
    }
    chars += Math.max(0, sep);
    parts++;
    // The instruction is the last user turn that says something: in an agent loop, turns of bare tool results
    // carry data, not the task.
    if (m['role'] === 'user') {
      const saidBlocks = blocks.filter((b) => !(isObj(b) && b['type'] === 'tool_result')).map(blockText).filter(Boolean);
      const said = saidBlocks.join('\n');
      if (said.trim() !== '') {
        lastUserText = said;
        const asks = saidBlocks.filter((t) => t.length <= 2000);
        lastUserAsk = asks.length > 0 && asks.length < saidBlocks.length ? asks.join('\n') : said;
      }
    }
  }
  const tools = Array.isArray(body['tools']) ? body['tools'].filter(isObj) : [];
  const serverTools = tools.filter((t) => typeof t['type'] === 'string' && !String(t['type']).startsWith('custom')).length;
  const systemText = systemTextOf(body);
  addText(systemText);
  const t = toolsText(tools);
  chars += t.chars;
  codeFences += t.fences;
  parts += tools.length;
  const thinking = isObj(body['thinking']) ? body['thinking'] : null;
  const thinkingType = thinking?.['type'] === 'enabled' ? 'enabled' : thinking?.['type'] === 'adaptive' ? 'adaptive' : null;
  const oc = isObj(body['output_config']) ? body['output_config'] : null;
  const meta = isObj(body['metadata']) ? body['metadata'] : null;
  const mt = body['max_tokens'];
  return {
    model: typeof body['model'] === 'string' ? body['model'] : null,
    systemText,
    lastUserText,
    lastUserAsk,
    allTextChars: chars + Math.max(0, parts - 1),
    codeFences,
    turns: messages.length,
    toolUses,
    tools: tools.length,
    serverTools,
    images,
    documents,
    maxTokens: typeof mt === 'number' && Number.isFinite(mt) ? mt : null,
    thinking: thinkingType,
    thinkingBudget: thinkingType === 'enabled' && typeof thinking?.['budget_tokens'] === 'number' ? thinking['budget_tokens'] : null,
    effort: typeof oc?.['effort'] === 'string' ? oc['effort'] : null,
    stream: body['stream'] === true,
    hasOutputFormat: oc?.['format'] !== undefined && oc['format'] !== null,
    metadataUserId: typeof meta?.['user_id'] === 'string' ? meta['user_id'] : null,
    sampling: (typeof body['temperature'] === 'number' && body['temperature'] !== 1) || body['top_p'] != null || body['top_k'] != null,
    fast: body['speed'] === 'fast',
    geo: typeof body['inference_geo'] === 'string' && body['inference_geo'] !== '' && body['inference_geo'] !== 'global' ? body['inference_geo'] : null,
  };
}
