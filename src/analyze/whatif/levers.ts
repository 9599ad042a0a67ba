/**
 * What each lever would have done to a session's requests, as transformations of their shapes (replay.ts prices
 * the result). Each one is deliberately simple and offline; its assumption is stated where the figure is reported.
 */
import type { Catalog, CatalogModel } from '../../pricing/catalog.js';
import { priceResolved } from '../../pricing/cost.js';
import { CHARS_PER_TOKEN_X10 } from '../../wire/tokens.js';
import type { Shape } from './replay.js';

export interface RoutingRule {
  /** Every response of the session at most this long... */
  readonly maxOutput: number;
  /** ...and never truncated, and every prompt within this share of the target's context window. */
  readonly contextShare: number;
}

export const DEFAULT_ROUTING: RoutingRule = { maxOutput: 1024, contextShare: 0.8 };

/** The cheapest active Haiku in the catalog (by input price): where a complexity check would demote to. */
export function routingTarget(catalog: Catalog): CatalogModel | null {
  let best: CatalogModel | null = null;
  for (const e of catalog.models()) {
    if (e.family !== 'haiku' || e.status !== 'active') continue;
    const m = catalog.resolve(e.id);
    if (!best || m.standard.input < best.standard.input) best = m;
  }
  return best;
}

/** Tokens for the same text on another tokenizer (the 2026 tokenizer counts ~30% more). */
export function retokenize(tokens: number, from: CatalogModel, to: CatalogModel): number {
  if (from.entry.tokenizer === to.entry.tokenizer) return tokens;
  return Math.round((tokens * CHARS_PER_TOKEN_X10[from.entry.tokenizer]) / CHARS_PER_TOKEN_X10[to.entry.tokenizer]);
}

/** Whether routing would demote the session (see routeSession), without changing it. */
export function canRoute(shapes: readonly Shape[], target: CatalogModel, rule: RoutingRule, truncated: (row: number) => boolean): boolean {
  if (shapes.length === 0) return false;
  for (const s of shapes) {
    if (s.model === target || s.fast || s.model.standard.input <= target.standard.input) return false;
    if (s.output > rule.maxOutput || truncated(s.row)) return false;
    if (retokenize(s.prompt, s.model, target) > target.entry.context_window * rule.contextShare) return false;
  }
  return true;
}

/**
 * Routing: a session is demoted whole (sticky, so no cache is thrown away mid-session) when every response was
 * short and none was truncated, and the target is cheaper. Returns true when it demoted.
 */
export function routeSession(shapes: Shape[], target: CatalogModel, rule: RoutingRule, truncated: (row: number) => boolean): boolean {
  if (!canRoute(shapes, target, rule, truncated)) return false;
  for (const s of shapes) {
    const from = s.model;
    s.prompt = retokenize(s.prompt, from, target);
    s.shared = Math.min(s.prompt, retokenize(s.shared, from, target));
    s.tail = Math.min(s.prompt, retokenize(s.tail, from, target));
    s.output = retokenize(s.output, from, target);
    s.model = target;
  }
  return true;
}

/** Batching: requests tagged or ruled deferrable go through the Batches API (fast mode cannot be batched). */
export function batchSession(shapes: Shape[], deferrable: (row: number) => boolean): number {
  let n = 0;
  for (const s of shapes) {
    if (!s.batch && !s.fast && deferrable(s.row)) {
      s.batch = true;
      n++;
    }
  }
  return n;
}

/** Output caps: max_tokens per model at a percentile of its observed (untruncated) output lengths. */
export function outputCaps(shapes: readonly Shape[], percentile: number, truncated: (row: number) => boolean): Map<CatalogModel, number> {
  const by = new Map<CatalogModel, number[]>();
  for (const s of shapes) {
    if (truncated(s.row)) continue;
    let a = by.get(s.model);
    if (!a) by.set(s.model, (a = []));
    a.push(s.output);
  }
  const caps = new Map<CatalogModel, number>();
  for (const [m, list] of by) {
    const a = Float64Array.from(list).sort(); // numeric order, natively
    caps.set(m, a[Math.min(a.length - 1, Math.ceil((percentile / 100) * a.length) - 1)] ?? 0);
  }
  return caps;
}

export function capSession(shapes: Shape[], caps: ReadonlyMap<CatalogModel, number>): number {
  let n = 0;
  for (const s of shapes) {
    const cap = caps.get(s.model);
    if (cap !== undefined && s.output > cap) {
      s.output = cap;
      n++;
    }
  }
  return n;
}

export interface CompressionRule {
  /** Compress when a prompt grows past this many tokens. */
  readonly triggerTokens: number;
  /** Keep the last N requests' worth of history verbatim. */
  readonly keepTurns: number;
  /** Length of the summary that replaces older history (output tokens of the summary call). */
  readonly summaryTokens: number;
}

export const DEFAULT_COMPRESSION: CompressionRule = { triggerTokens: 100_000, keepTurns: 6, summaryTokens: 2_000 };

/**
 * Compression: when a prompt passes the trigger, history older than the last N turns (above the session's
 * smallest prompt, taken as tools + system) is replaced by a summary written by `summarizer` (uncached input,
 * summary as output); later prompts are shorter by what was removed, and the cache breaks after the tools +
 * system prefix at that request. If the client itself shrank the prompt (its own compaction), removal resets.
 */
export function compressSession(shapes: Shape[], rule: CompressionRule, summarizer: CatalogModel | null, fee: bigint): number {
  if (shapes.length === 0) return 0;
  const base = Math.min(...shapes.map((s) => s.prompt));
  const original = shapes.map((s) => s.prompt);
  let removed = 0;
  let events = 0;
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    const orig = original[k]!;
    if (k > 0 && orig < original[k - 1]!) removed = 0;
    const p = orig - removed;
    const shared = Math.max(0, Math.min(s.shared - removed, p));
    if (p > rule.triggerTokens) {
      const keep = orig - (original[Math.max(0, k - rule.keepTurns)] ?? base);
      const compressed = base + rule.summaryTokens + Math.max(0, keep);
      if (compressed < p) {
        const summarized = p - compressed + rule.summaryTokens;
        const m = summarizer ?? s.model;
        s.extra += priceResolved(m, fee, { input_tokens: retokenize(summarized, s.model, m), output_tokens: rule.summaryTokens }).total;
        removed += p - compressed;
        s.prompt = compressed;
        s.shared = Math.min(base, shared);
        s.tail = Math.min(s.tail, compressed);
        events++;
        continue;
      }
    }
    s.prompt = p;
    s.shared = shared;
    s.tail = Math.min(s.tail, p);
  }
  return events;
}
