/**
 * Request validation for POST /v1/messages (and count_tokens, and each batch request's params), with the error
 * types, statuses and messages the API uses. Only what the API checks is checked: unknown fields are accepted, as
 * the real API accepts fields newer clients send. Returns the resolved model and the prompt's prefix analysis.
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import { ApiError } from '../wire/errors.js';
import { analyzePrefix, type PrefixAnalysis } from '../wire/prefix.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What an endpoint checks beyond the common shape. */
export type ValidationMode = 'messages' | 'count_tokens' | 'batch';

export interface ValidRequest {
  readonly model: CatalogModel;
  readonly body: Obj;
  readonly analysis: PrefixAnalysis;
  readonly maxTokens: number;
  readonly stream: boolean;
  readonly thinking: 'enabled' | 'adaptive' | 'off';
  readonly thinkingDisplay: 'summarized' | 'omitted';
  readonly stopSequences: readonly string[];
}

function bad(message: string): never {
  throw new ApiError('invalid_request_error', message);
}

const ROLES = new Set(['user', 'assistant', 'system']);

function contentBlocks(m: Obj, mi: number): Obj[] {
  const c = m['content'];
  if (typeof c === 'string') return [{ type: 'text', text: c }];
  if (!Array.isArray(c)) bad(c === undefined ? `messages.${mi}.content: Field required` : `messages.${mi}.content: Input should be a valid string or a list of content blocks`);
  return c.map((b, bi) => {
    if (!isObj(b)) bad(`messages.${mi}.content.${bi}: Input should be a valid dictionary or object`);
    if (typeof b['type'] !== 'string') bad(`messages.${mi}.content.${bi}.type: Field required`);
    return b;
  });
}

function checkMessages(messages: unknown): void {
  if (messages === undefined) bad('messages: Field required');
  if (!Array.isArray(messages)) bad('messages: Input should be a valid list');
  if (messages.length === 0) bad('messages: at least one message is required');
  const blocks: Obj[][] = messages.map((m, mi) => {
    if (!isObj(m)) bad(`messages.${mi}: Input should be a valid dictionary or object`);
    if (!ROLES.has(String(m['role']))) bad(`messages.${mi}.role: Input should be 'user', 'assistant' or 'system'`);
    const bs = contentBlocks(m, mi);
    const last = mi === messages.length - 1;
    bs.forEach((b, bi) => {
      if (b['type'] === 'text') {
        if (typeof b['text'] !== 'string') bad(`messages.${mi}.content.${bi}.text: Field required`);
        // An empty final assistant turn (prefill) is allowed; empty text elsewhere is not.
        if (b['text'].length === 0 && !(last && m['role'] === 'assistant') && b['cache_control'] === undefined) {
          bad(`messages.${mi}.content.${bi}: text content blocks must be non-empty`);
        }
        if (last && m['role'] === 'assistant' && bi === bs.length - 1 && /\s$/.test(b['text'])) {
          bad('messages: final assistant content cannot end with trailing whitespace');
        }
      }
      if (b['type'] === 'tool_use' && (typeof b['id'] !== 'string' || typeof b['name'] !== 'string')) bad(`messages.${mi}.content.${bi}: tool_use blocks need "id" and "name"`);
      if (b['type'] === 'tool_result' && typeof b['tool_use_id'] !== 'string') bad(`messages.${mi}.content.${bi}.tool_use_id: Field required`);
    });
    return bs;
  });
  // Every tool_use must be answered by a tool_result in the next message, and every tool_result must answer one.
  for (let mi = 0; mi < messages.length; mi++) {
    const m = messages[mi] as Obj;
    const uses = (blocks[mi] ?? []).filter((b) => b['type'] === 'tool_use').map((b) => String(b['id']));
    const next = blocks[mi + 1];
    if (m['role'] === 'assistant' && uses.length > 0 && next !== undefined) {
      const answered = new Set(next.filter((b) => b['type'] === 'tool_result').map((b) => String(b['tool_use_id'])));
      const missing = uses.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        bad(`messages.${mi + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
      }
    }
    const results = (blocks[mi] ?? []).map((b, bi) => [b, bi] as const).filter(([b]) => b['type'] === 'tool_result');
    if (results.length > 0) {
      const prev = mi > 0 ? (blocks[mi - 1] ?? []) : [];
      const ids = new Set(prev.filter((b) => b['type'] === 'tool_use').map((b) => String(b['id'])));
      for (const [b, bi] of results) {
        if (!ids.has(String(b['tool_use_id']))) {
          bad(`messages.${mi}.content.${bi}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b['tool_use_id'])}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
        }
      }
    }
  }
}

function checkTools(body: Obj): void {
  const tools = body['tools'];
  if (tools === undefined) return;
  if (!Array.isArray(tools)) bad('tools: Input should be a valid list');
  const names = new Set<string>();
  tools.forEach((t, i) => {
    if (!isObj(t)) bad(`tools.${i}: Input should be a valid dictionary or object`);
    if (typeof t['name'] !== 'string' || t['name'].length === 0) bad(`tools.${i}.name: Field required`);
    if (names.has(t['name'])) bad(`tools: Tool names must be unique.`);
    names.add(t['name']);
    // Custom tools need a schema; versioned built-in tools (bash_20250124, web_search_..., ...) carry a type instead.
    if (typeof t['type'] !== 'string' || t['type'] === 'custom') {
      if (!isObj(t['input_schema'])) bad(`tools.${i}.custom.input_schema: Field required`);
    }
  });
  const tc = body['tool_choice'];
  if (tc !== undefined) {
    if (!isObj(tc) || !['auto', 'any', 'tool', 'none'].includes(String(tc['type']))) bad("tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'");
    if (tc['type'] === 'tool' && typeof tc['name'] !== 'string') bad('tool_choice.tool.name: Field required');
  }
}

function checkSystem(system: unknown): void {
  if (system === undefined || typeof system === 'string') return;
  if (!Array.isArray(system)) bad('system: Input should be a valid string or a list of text blocks');
  system.forEach((b, i) => {
    if (!isObj(b) || b['type'] !== 'text' || typeof b['text'] !== 'string') bad(`system.${i}: Input should be a text block ({"type": "text", "text": "..."})`);
  });
}

export function validateRequest(catalog: Catalog, raw: unknown, mode: ValidationMode = 'messages'): ValidRequest {
  if (!isObj(raw)) bad('The request body is not valid JSON or not a JSON object.');
  const body = raw;
  if (typeof body['model'] !== 'string' || body['model'].length === 0) bad('model: Field required');
  const model = catalog.tryResolve(body['model']);
  if (!model || model.entry.status === 'retired') throw new ApiError('not_found_error', `model: ${body['model']}`);
  const entry = model.entry;

  let maxTokens = 0;
  if (mode !== 'count_tokens') {
    const mt = body['max_tokens'];
    if (mt === undefined) bad('max_tokens: Field required');
    if (typeof mt !== 'number' || !Number.isInteger(mt)) bad('max_tokens: Input should be a valid integer');
    if (mt < 0) bad('max_tokens: Input should be greater than or equal to 0');
    if (mt > entry.max_output) bad(`max_tokens: ${mt} > ${entry.max_output}, which is the maximum allowed number of output tokens for ${entry.id}`);
    maxTokens = mt;
  }
  checkMessages(body['messages']);
  checkSystem(body['system']);
  checkTools(body);

  const stream = body['stream'] === true;
  if (mode === 'batch' && stream) bad('stream: streaming is not supported in the Message Batches API');

  let thinking: ValidRequest['thinking'] = 'off';
  let thinkingDisplay: ValidRequest['thinkingDisplay'] = 'summarized';
  const th = body['thinking'];
  if (th !== undefined && th !== null) {
    if (!isObj(th) || !['enabled', 'adaptive', 'disabled'].includes(String(th['type']))) bad("thinking: Input tag does not match any of the expected tags: 'enabled', 'adaptive', 'disabled'");
    if (th['type'] === 'enabled') {
      if (!entry.supports.thinking) bad(`thinking: extended thinking is not supported by ${entry.id}`);
      const budget = th['budget_tokens'];
      if (typeof budget !== 'number' || !Number.isInteger(budget)) bad('thinking.enabled.budget_tokens: Field required');
      if (budget < 1024) bad('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (mode !== 'count_tokens' && maxTokens > 0 && budget >= maxTokens) bad('`max_tokens` must be greater than `thinking.budget_tokens`');
      thinking = 'enabled';
    } else if (th['type'] === 'adaptive') {
      if (!entry.supports.adaptive_thinking) bad(`thinking: adaptive thinking is not supported by ${entry.id}`);
      thinking = 'adaptive';
    }
    if (isObj(th) && th['display'] === 'omitted') thinkingDisplay = 'omitted';
  }

  const ss = body['stop_sequences'];
  let stopSequences: string[] = [];
  if (ss !== undefined && ss !== null) {
    if (!Array.isArray(ss) || ss.some((s) => typeof s !== 'string')) bad('stop_sequences: Input should be a valid list of strings');
    stopSequences = ss as string[];
  }

  const geo = body['inference_geo'];
  if (geo !== undefined && geo !== null) {
    if (typeof geo !== 'string') bad('inference_geo: Input should be a valid string');
    if (!entry.inference_geo) bad(`inference_geo is not supported for model ${entry.id}`);
    if (geo !== 'global' && !(geo in entry.inference_geo)) bad(`inference_geo: "${geo}" is not a supported value for ${entry.id}`);
  }
  // The catalog keeps fast prices of models that no longer offer fast mode (old logs still need them); whether the
  // API accepts `speed: "fast"` today is `supports.fast` (S-SEP26: Opus 4.7 rejects it).
  if (body['speed'] === 'fast' && !(entry.supports.fast && model.fast)) bad(`speed: fast mode is not supported for model ${entry.id}`);
  if (mode === 'batch' && body['speed'] !== undefined) bad('speed: not supported in the Message Batches API');

  if (mode !== 'count_tokens' && maxTokens === 0) {
    // Cache pre-warming: max_tokens 0 writes the cache and generates nothing, with these exceptions.
    if (mode === 'batch') bad('max_tokens: must be at least 1 in the Message Batches API');
    if (stream) bad('max_tokens: 0 (cache pre-warming) cannot be used with stream: true');
    if (thinking === 'enabled') bad('max_tokens: 0 (cache pre-warming) cannot be used with thinking enabled');
    if (isObj(body['output_config']) && body['output_config']['format'] !== undefined) bad('max_tokens: 0 (cache pre-warming) cannot be used with output_config.format');
    const tc = body['tool_choice'];
    if (isObj(tc) && (tc['type'] === 'any' || tc['type'] === 'tool')) bad(`max_tokens: 0 (cache pre-warming) cannot be used with tool_choice "${String(tc['type'])}"`);
  }

  const analysis = analyzePrefix(body, { family: entry.tokenizer, toolOverhead: entry.tool_use_system_prompt_tokens, model: entry.id });
  if (analysis.error) bad(analysis.error);
  if (analysis.totalTokens > entry.context_window) {
    bad(`prompt is too long: ${analysis.totalTokens} tokens > ${entry.context_window} maximum`);
  }
  return { model, body, analysis, maxTokens, stream, thinking, thinkingDisplay, stopSequences };
}
