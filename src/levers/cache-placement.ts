/**
 * Where to put cache breakpoints on one request: a pure decision over the request's prefix analysis, the model's
 * prices and minimum, and what the lever has learned (reuse gaps, continuation odds, branch points, the shadow
 * cache's deepest live entry).
 *
 * Rules, in order:
 * 1. The client's own breakpoints stay (explicit and the automatic top-level one); never more than four in all.
 * 2. Newest turn: a breakpoint on the last cacheable message block, so the next turn reads the conversation so
 *    far; only when its prefix reaches the model's minimum and the write pays at the observed continuation odds
 *    (cache-ttl.ts `writePays`: p > 0.217 for 5m on a standard model). One-off requests (say, questions over a
 *    shared document) stop getting it once the odds are learned, so their question is not written for nothing.
 * 3. Lookback: when the shadow cache holds an entry for this prefix that no breakpoint can reach within the
 *    20-position lookback, an intermediate breakpoint goes at most 19 positions after it, so the request still
 *    reads what was written.
 * 4. Shared heads: the end of the tools, the end of the system prompt, long documents (>= 1,024 tokens) in the
 *    messages. Free when a later breakpoint writes anyway (the write is C - A tokens whatever sits between), so a
 *    client with no caching gets them; a client that caches already gets one only where the lever has seen
 *    requests share that prefix and then diverge (a branch point) -- that is where it pays.
 *    A head that would be the last writing breakpoint needs a previous sighting and a TTL that pays.
 * 5. TTLs per cache-ttl.ts; 1h breakpoints must precede 5m ones, so a 5m breakpoint before a 1h one is raised to 1h
 *    (billing already prices everything up to the last 1h breakpoint at the 1h rate, so this costs nothing).
 *    A client's 5m breakpoint is raised to 1h when its own reuse gaps say 1h is cheaper (enforce mode only).
 */
import type { Rates } from '../pricing/catalog.js';
import type { CacheTtl, PrefixAnalysis, PrefixBlock } from '../wire/prefix.js';
import type { Marker } from './cache-apply.js';
import { reaches } from './cache-shadow.js';
import { writePays, type TtlChoice } from './cache-ttl.js';

export const MAX_BREAKPOINTS = 4;
/** A message block this long is a document worth its own breakpoint. */
export const DOCUMENT_TOKENS = 1024;
/** Reuse gaps needed before a client's own TTL is changed. */
export const MIN_GAPS_TO_UPGRADE = 3;

export type Why = 'newest turn' | 'lookback' | 'tools' | 'system' | 'document' | 'ttl' | 'order';

export interface PlacedBreakpoint extends Marker {
  readonly why: Why;
  /** True for a client breakpoint whose TTL the lever changed. */
  readonly client: boolean;
}

export interface PlacementContext {
  readonly analysis: PrefixAnalysis;
  readonly minTokens: number;
  readonly rates: Rates;
  /** Odds that the conversation continues within the TTL, as a fraction. */
  readonly continuation: { readonly num: number; readonly den: number };
  /** TTL for the newest-turn breakpoint, from the gaps between turns. */
  readonly turnTtl: TtlChoice;
  /** TTL for a shared head (tools, system, document), from the gaps between uses of that prefix. */
  headTtl(block: PrefixBlock): TtlChoice;
  /** Requests were seen sharing this prefix and diverging after it. */
  branchPoint(hash: string): boolean;
  /** The prefix was seen before. */
  seen(hash: string): boolean;
  /** The deepest block of this request the shadow cache holds a live entry for. */
  readonly anchor: PrefixBlock | null;
  /** Whether the client's own breakpoints may get a longer TTL. */
  readonly upgradeClient: boolean;
  /** Index of a block that just changed between requests of the session (a buster): no new breakpoint at or after it. */
  readonly stopAt?: number | null;
}

export interface Placement {
  /** Markers to write: new breakpoints and client breakpoints with a changed TTL. */
  readonly markers: readonly PlacedBreakpoint[];
  /** Every breakpoint of the resulting request, in prefix order. */
  readonly breakpoints: readonly Marker[];
  /** Why candidates were left out, for the decision record. */
  readonly skipped: readonly string[];
}

export function placeBreakpoints(ctx: PlacementContext): Placement {
  const { analysis: a, minTokens } = ctx;
  const skipped: string[] = [];
  if (a.error !== null) return { markers: [], breakpoints: a.breakpoints, skipped: [`client cache_control is invalid: ${a.error}`] };
  const client = a.breakpoints;
  const taken = new Set(client.map((b) => b.block.index));
  const added: PlacedBreakpoint[] = [];
  const free = (): number => MAX_BREAKPOINTS - client.length - added.length;
  const stopAt = ctx.stopAt ?? null;
  const add = (block: PrefixBlock, ttl: CacheTtl, why: Why): void => {
    if (stopAt !== null && block.index >= stopAt) {
      skipped.push(`${why}: ${block.path} comes after ${a.blocks[stopAt]?.path ?? 'a block'}, which changed since the previous request`);
      return;
    }
    added.push({ block, ttl, why, client: false });
    taken.add(block.index);
  };

  // 2. newest turn
  const last = a.blocks.findLast((b) => b.cacheable) ?? null;
  if (last && last.section === 'messages' && !taken.has(last.index)) {
    const ttl = ctx.turnTtl.ttl;
    if (free() === 0) skipped.push('newest turn: no breakpoint slot left');
    else if (last.cumTokens < minTokens) skipped.push(`newest turn: prefix ${last.cumTokens} tokens is below the model's minimum ${minTokens}`);
    else if (ttl === null) skipped.push('newest turn: turns come too far apart for caching to pay');
    else if (!writePays(ctx.rates, ttl, ctx.continuation.num, ctx.continuation.den)) {
      skipped.push(`newest turn: continuation odds ${ctx.continuation.num}/${ctx.continuation.den} too low for a ${ttl} write to pay`);
    } else add(last, ttl, 'newest turn');
  }
  const writers = (): PrefixBlock[] => [...client.map((b) => b.block), ...added.map((b) => b.block)].filter((b) => b.cumTokens >= minTokens);
  const finalWriter = (): PrefixBlock | null => writers().sort((x, y) => y.index - x.index)[0] ?? null;

  // 3. lookback: keep the deepest live entry reachable
  const anchor = ctx.anchor;
  const fin = finalWriter();
  if (anchor && fin && fin.index > anchor.index) {
    const all = [...client.map((b) => b.block), ...added.map((b) => b.block)];
    if (!all.some((b) => reaches(b, anchor))) {
      const target = [...a.blocks]
        .reverse()
        .find((b) => b.cacheable && b.index > anchor.index && b.index < fin.index && b.position - anchor.position <= 18 && !taken.has(b.index));
      const finTtl = added.find((b) => b.block.index === fin.index)?.ttl ?? client.find((b) => b.block.index === fin.index)?.ttl ?? '5m';
      if (!target) skipped.push('lookback: no cacheable block within reach of the cached prefix');
      else if (free() === 0) skipped.push('lookback: no breakpoint slot left');
      else add(target, finTtl, 'lookback');
    }
  }

  // 4. shared heads
  const lastOf = (section: 'tools' | 'system'): PrefixBlock | undefined => a.blocks.findLast((b) => b.section === section && b.cacheable);
  const heads: { block: PrefixBlock; why: Why }[] = [];
  const sys = lastOf('system');
  const tools = lastOf('tools');
  if (sys) heads.push({ block: sys, why: 'system' });
  if (tools) heads.push({ block: tools, why: 'tools' });
  a.blocks
    .filter((b) => b.section === 'messages' && b.cacheable && b.tokens >= DOCUMENT_TOKENS && b.index !== last?.index)
    .sort((x, y) => y.tokens - x.tokens)
    .forEach((b) => heads.push({ block: b, why: 'document' }));
  for (const h of heads) {
    const b = h.block;
    if (taken.has(b.index)) continue;
    if (b.cumTokens < minTokens) {
      skipped.push(`${h.why}: prefix ${b.cumTokens} tokens is below the model's minimum ${minTokens}`);
      continue;
    }
    if (free() === 0) {
      skipped.push(`${h.why}: no breakpoint slot left`);
      continue;
    }
    const choice = ctx.headTtl(b);
    const f = finalWriter();
    const isFree = f !== null && f.index > b.index;
    if (client.length > 0) {
      if (!ctx.branchPoint(b.hash)) {
        skipped.push(`${h.why}: the client caches already and no request was seen diverging after this prefix`);
        continue;
      }
      if (choice.ttl === null && !isFree) continue;
      add(b, choice.ttl ?? '5m', h.why);
    } else if (isFree) add(b, choice.ttl ?? '5m', h.why);
    else if (ctx.seen(b.hash) && choice.ttl !== null) add(b, choice.ttl, h.why);
    else skipped.push(`${h.why}: not seen before, and nothing later is written`);
  }

  // 5. TTLs: upgrade client breakpoints where their gaps say so, then enforce 1h-before-5m order.
  const ttlOf = new Map<number, { ttl: CacheTtl; client: boolean; why: Why; block: PrefixBlock; auto: boolean; changed: boolean }>();
  for (const b of client) ttlOf.set(b.block.index, { ttl: b.ttl, client: true, why: 'ttl', block: b.block, auto: b.automatic, changed: false });
  for (const b of added) ttlOf.set(b.block.index, { ttl: b.ttl, client: false, why: b.why, block: b.block, auto: false, changed: true });
  if (ctx.upgradeClient) {
    for (const b of client) {
      if (b.automatic || b.ttl === '1h') continue;
      const choice = b.block.section === 'messages' && b.block.index === last?.index ? ctx.turnTtl : ctx.headTtl(b.block);
      if (choice.ttl === '1h' && choice.gaps >= MIN_GAPS_TO_UPGRADE) ttlOf.set(b.block.index, { ...ttlOf.get(b.block.index)!, ttl: '1h', changed: true });
    }
  }
  const ordered = [...ttlOf.values()].sort((x, y) => x.block.index - y.block.index);
  const last1h = ordered.reduce((m, b, i) => (b.ttl === '1h' ? i : m), -1);
  for (let i = 0; i < last1h; i++) {
    const b = ordered[i]!;
    if (b.ttl === '1h') continue;
    if (b.auto) continue; // cannot happen: the automatic breakpoint is the last one
    if (b.client && !ctx.upgradeClient) {
      // Not allowed to touch the client's TTL: lower ours after it instead.
      for (let j = i + 1; j < ordered.length; j++) if (!ordered[j]!.client) ordered[j] = { ...ordered[j]!, ttl: '5m' };
      break;
    }
    ordered[i] = { ...b, ttl: '1h', changed: true, why: b.client ? 'order' : b.why };
  }
  const markers: PlacedBreakpoint[] = ordered
    .filter((b) => !b.auto && (b.changed || !b.client))
    .filter((b) => !(b.client && client.find((c) => c.block.index === b.block.index)?.ttl === b.ttl))
    .map((b) => ({ block: b.block, ttl: b.ttl, why: b.why, client: b.client }));
  return { markers, breakpoints: ordered.map((b) => ({ block: b.block, ttl: b.ttl })), skipped };
}
