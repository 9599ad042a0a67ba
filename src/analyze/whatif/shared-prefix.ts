/**
 * How much of a request's prompt is identical to the previous request's, from the request bodies when a source has
 * them (generic JSONL `request`): both bodies go through src/wire/prefix.ts (blocks in cache prefix order with
 * cumulative hashes that include the model and the cache-relevant settings), and the shared prefix is the longest
 * run of blocks whose cumulative hash the previous request also had. The estimate is then scaled to the tokens the
 * API actually reported for the prompt.
 */
import type { CatalogModel } from '../../pricing/catalog.js';
import { analyzePrefix, type PrefixAnalysis } from '../../wire/prefix.js';

export function prefixOf(body: Readonly<Record<string, unknown>>, model: CatalogModel): PrefixAnalysis {
  return analyzePrefix({ ...body }, { family: model.entry.tokenizer, toolOverhead: model.entry.tool_use_system_prompt_tokens, model: model.entry.id });
}

/** Tokens of `cur`'s prompt shared with `prev`, scaled to `promptTokens` (the prompt size the API billed). */
export function sharedTokens(prev: PrefixAnalysis, cur: PrefixAnalysis, promptTokens: number): number {
  const seen = new Set(prev.blocks.map((b) => b.hash));
  let shared = 0;
  for (const b of cur.blocks) {
    if (!seen.has(b.hash)) break;
    shared = b.cumTokens;
  }
  if (cur.totalTokens <= 0) return 0;
  return Math.min(promptTokens, Math.round((shared / cur.totalTokens) * promptTokens));
}
