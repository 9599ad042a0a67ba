/**
 * What a request would cost on a given model, before it is sent: its prompt counted in that model's own tokenizer
 * (Claude 4.7 and later count ~30% more tokens for the same text), an expected output length, and the cache state
 * assumed for its stable prefix. The bill itself always comes from the one cost engine (pricing/cost.ts).
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import { priceResolved } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';
import { analyzePrefix } from '../wire/prefix.js';
import { TrailCache } from '../wire/prefix-reuse.js';
import { CHARS_PER_TOKEN_X10, type TokenizerFamily } from '../wire/tokens.js';

/** none: nothing cached; write: the stable prefix is written (5m); warm: the stable prefix is read from the cache. */
export type CacheAssumption = 'none' | 'write' | 'warm';

export interface CostEstimate {
  readonly model: string;
  readonly promptTokens: number;
  /** Tokens of the stable prefix (everything before the last user turn), 0 when below the model's cache minimum. */
  readonly cacheablePrefixTokens: number;
  readonly outputTokens: number;
  readonly totalPico: Pico;
}

/** Converts a token count of the same text from one tokenizer family to another. */
export function convertTokens(tokens: number, from: TokenizerFamily, to: TokenizerFamily): number {
  if (from === to) return tokens;
  return Math.ceil((tokens * CHARS_PER_TOKEN_X10[from]) / CHARS_PER_TOKEN_X10[to]);
}

type Obj = Record<string, unknown>;

/** Prompt tokens and the stable prefix's tokens of `body` in `model`'s tokenizer. */
export function promptShape(body: Readonly<Obj>, model: CatalogModel): { promptTokens: number; prefixTokens: number } {
  return withToolOverhead(familyShape(body, model.entry.tokenizer), body, model);
}

/** Recent prompts' trails for shapes (wire/prefix-reuse.ts), bounded like the shared cache. */
const shapeTrails = new TrailCache();

/** The shape in one tokenizer family, without the hidden tool-use system prompt (which depends on the model). */
function familyShape(body: Readonly<Obj>, family: TokenizerFamily): { promptTokens: number; prefixTokens: number } {
  // Sizes only, but through the hash chain: a block resent from a recent prompt (a conversation's history, an agent's
  // tools) then has its tokens taken from that prompt's trail instead of counted again, which was most of routing's
  // time on agent requests. The trails are kept apart from the caching lever's: the same body's objects on both sides
  // would never be vouched for, and they mostly hold the very values the caching lever's trails hold, so counting them
  // against that cache's bound would halve what it keeps.
  const a = analyzePrefix(body as Obj, { family, trails: shapeTrails });
  const messages = Array.isArray(body['messages']) ? body['messages'] : [];
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (typeof m === 'object' && m !== null && (m as Obj)['role'] === 'user') lastUser = i;
  });
  let prefix = 0;
  for (const b of a.blocks) {
    if (b.section === 'messages' && b.at >= lastUser) break;
    prefix = b.cumTokens;
  }
  return { promptTokens: a.totalTokens, prefixTokens: prefix };
}

/** Adds the model's hidden tool-use system prompt (sent when tools are, part of the prefix: it sits on the first tool). */
function withToolOverhead(s: { promptTokens: number; prefixTokens: number }, body: Readonly<Obj>, model: CatalogModel): { promptTokens: number; prefixTokens: number } {
  const o = model.entry.tool_use_system_prompt_tokens;
  if (!o || !Array.isArray(body['tools']) || body['tools'].length === 0) return s;
  const tc = body['tool_choice'];
  const type = typeof tc === 'object' && tc !== null ? (tc as Obj)['type'] : 'auto';
  const extra = type === 'any' || type === 'tool' ? o.any : o.auto;
  return { promptTokens: s.promptTokens + extra, prefixTokens: s.prefixTokens + extra };
}

export interface EstimateOptions {
  /** Expected output tokens, counted in the 2025 tokenizer (the routing check's unit). */
  readonly outputTokens2025: number;
  readonly cache?: CacheAssumption;
  readonly batch?: boolean;
  /** `promptShape(body, model)` when the caller already has it (it hashes the whole prompt). */
  readonly shape?: { readonly promptTokens: number; readonly prefixTokens: number };
}

export type PromptShape = ReturnType<typeof promptShape>;

/** promptShape per model for one body; the prompt is analysed once per tokenizer family. */
export function shapeMemo(body: Readonly<Obj>): (m: CatalogModel) => PromptShape {
  const memo = new Map<TokenizerFamily, PromptShape>();
  return (m) => {
    let s = memo.get(m.entry.tokenizer);
    if (!s) {
      s = familyShape(body, m.entry.tokenizer);
      memo.set(m.entry.tokenizer, s);
    }
    return withToolOverhead(s, body, m);
  };
}

export function estimateCost(catalog: Catalog, model: CatalogModel, body: Readonly<Obj>, opts: EstimateOptions): CostEstimate {
  const { promptTokens, prefixTokens } = opts.shape ?? promptShape(body, model);
  const cacheable = prefixTokens >= model.entry.min_cacheable_tokens ? prefixTokens : 0;
  const cache = opts.cache ?? 'none';
  const outputTokens = convertTokens(opts.outputTokens2025, 'claude-2025', model.entry.tokenizer);
  const cached = cache === 'none' ? 0 : cacheable;
  const usage: Usage = {
    input_tokens: promptTokens - cached,
    output_tokens: outputTokens,
    cache_creation_input_tokens: cache === 'write' ? cached : 0,
    cache_creation: { ephemeral_5m_input_tokens: cache === 'write' ? cached : 0, ephemeral_1h_input_tokens: 0 },
    cache_read_input_tokens: cache === 'warm' ? cached : 0,
  };
  const priced = priceResolved(model, catalog.webSearchPerSearch, usage, { batch: opts.batch ?? false });
  return { model: model.entry.id, promptTokens, cacheablePrefixTokens: cacheable, outputTokens, totalPico: priced.total };
}
