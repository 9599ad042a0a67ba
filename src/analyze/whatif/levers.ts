/**
 * What each lever would have done to a session's requests, as transformations of their shapes (replay.ts prices
 * the result). Each one is deliberately simple and offline; its assumption is stated where the figure is reported.
 */
import type { Catalog, CatalogModel } from '../../pricing/catalog.js';
import { priceResolved } from '../../pricing/cost.js';
import { CHARS_PER_TOKEN_X10 } from '../../wire/tokens.js';
import { BATCH, FAST, TRUNCATED, type Shapes } from './shapes.js';

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

/** Whether routing would demote the session [start, end) of `s` (see routeSession), without changing it. */
export function canRoute(s: Shapes, start: number, end: number, target: CatalogModel, rule: RoutingRule): boolean {
  if (start >= end) return false;
  const limit = target.entry.context_window * rule.contextShare;
  for (let k = start; k < end; k++) {
    const m = s.modelOf(k);
    if (m === target || (s.flags[k]! & FAST) !== 0 || m.standard.input <= target.standard.input) return false;
    if (s.output[k]! > rule.maxOutput || (s.flags[k]! & TRUNCATED) !== 0) return false;
    if (retokenize(s.prompt[k]!, m, target) > limit) return false;
  }
  return true;
}

/**
 * Routing: a session is demoted whole (sticky, so no cache is thrown away mid-session) when every response was
 * short and none was truncated, and the target is cheaper. Returns true when it demoted.
 */
export function routeSession(s: Shapes, start: number, end: number, target: CatalogModel, rule: RoutingRule): boolean {
  if (!canRoute(s, start, end, target, rule)) return false;
  const to = s.indexOf(target);
  for (let k = start; k < end; k++) {
    const from = s.modelOf(k);
    const prompt = retokenize(s.prompt[k]!, from, target);
    s.prompt[k] = prompt;
    s.shared[k] = Math.min(prompt, retokenize(s.shared[k]!, from, target));
    s.tail[k] = Math.min(prompt, retokenize(s.tail[k]!, from, target));
    s.output[k] = retokenize(s.output[k]!, from, target);
    s.model[k] = to;
  }
  return true;
}

/** Whether batchSession would batch a request of the session, without changing it. */
export function mayBatch(s: Shapes, start: number, end: number, deferrable: (row: number) => boolean): boolean {
  for (let k = start; k < end; k++) if ((s.flags[k]! & (BATCH | FAST)) === 0 && deferrable(s.row[k]!)) return true;
  return false;
}

/** Batching: requests tagged or ruled deferrable go through the Batches API (fast mode cannot be batched). */
export function batchSession(s: Shapes, start: number, end: number, deferrable: (row: number) => boolean): number {
  let n = 0;
  for (let k = start; k < end; k++) {
    const f = s.flags[k]!;
    if ((f & (BATCH | FAST)) === 0 && deferrable(s.row[k]!)) {
      s.flags[k] = f | BATCH;
      n++;
    }
  }
  return n;
}

/**
 * Output caps: max_tokens per model at a percentile of its observed (untruncated) output lengths. The map lists
 * models in the order they first appear; `byIndex` has the same caps by model index (Infinity: no cap).
 */
export function outputCaps(s: Shapes, percentile: number): { caps: Map<CatalogModel, number>; byIndex: Float64Array } {
  // Counted first, then each model's lengths into an array of its own size (no growing lists).
  const { flags, model, output } = s;
  const counts = new Int32Array(s.models.length);
  const seen: number[] = [];
  for (let k = 0; k < s.size; k++) {
    if ((flags[k]! & TRUNCATED) !== 0) continue;
    const mi = model[k]!;
    if (counts[mi]!++ === 0) seen.push(mi);
  }
  const by = Array.from(counts, (n) => new Float64Array(n));
  const filled = new Int32Array(s.models.length);
  for (let k = 0; k < s.size; k++) {
    if ((flags[k]! & TRUNCATED) !== 0) continue;
    const mi = model[k]!;
    by[mi]![filled[mi]!++] = output[k]!;
  }
  const caps = new Map<CatalogModel, number>();
  const byIndex = new Float64Array(s.models.length).fill(Infinity);
  for (const mi of seen) {
    const a = by[mi]!;
    const at = Math.min(a.length - 1, Math.ceil((percentile / 100) * a.length) - 1);
    const cap = at < 0 ? 0 : nth(a, at);
    caps.set(s.models[mi]!, cap);
    byIndex[mi] = cap;
  }
  return { caps, byIndex };
}

/** The k-th smallest value of `a` (what a[k] is once sorted), by selection (Hoare's), reordering `a`. */
export function nth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] ?? 0;
}

export function capSession(s: Shapes, start: number, end: number, caps: Float64Array): number {
  let n = 0;
  for (let k = start; k < end; k++) {
    const cap = caps[s.model[k]!] ?? Infinity;
    if (s.output[k]! > cap) {
      s.output[k] = cap;
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
export function compressSession(s: Shapes, start: number, end: number, rule: CompressionRule, summarizer: CatalogModel | null, fee: bigint): number {
  if (start >= end) return 0;
  let base = Infinity;
  for (let k = start; k < end; k++) base = Math.min(base, s.prompt[k]!);
  const original = s.prompt.slice(start, end);
  let removed = 0;
  let events = 0;
  for (let k = start; k < end; k++) {
    const j = k - start;
    const orig = original[j]!;
    if (j > 0 && orig < original[j - 1]!) removed = 0;
    const p = orig - removed;
    const shared = Math.max(0, Math.min(s.shared[k]! - removed, p));
    if (p > rule.triggerTokens) {
      const keep = orig - (original[Math.max(0, j - rule.keepTurns)] ?? base);
      const compressed = base + rule.summaryTokens + Math.max(0, keep);
      if (compressed < p) {
        const summarized = p - compressed + rule.summaryTokens;
        const from = s.modelOf(k);
        const m = summarizer ?? from;
        s.extra.set(k, (s.extra.get(k) ?? 0n) + priceResolved(m, fee, { input_tokens: retokenize(summarized, from, m), output_tokens: rule.summaryTokens }).total);
        removed += p - compressed;
        s.prompt[k] = compressed;
        s.shared[k] = Math.min(base, shared);
        s.tail[k] = Math.min(s.tail[k]!, compressed);
        events++;
        continue;
      }
    }
    s.prompt[k] = p;
    s.shared[k] = shared;
    s.tail[k] = Math.min(s.tail[k]!, p);
  }
  return events;
}
