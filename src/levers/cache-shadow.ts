/**
 * A shadow of the prompt cache: what the caching lever believes the API's cache holds, and what a request would be
 * billed for against it. It runs the emulator's own prompt-cache engine (emulator/prompt-cache.ts: lookback,
 * minimum length, 1h-before-5m billing, refresh on hit) over a store the lever owns. The lever keeps two shadows:
 * one fed with the bodies clawback sends (to plan the next request) and one fed with the bodies the client sent
 * (the baseline for savings attribution).
 */
import { LOOKBACK_POSITIONS, PromptCacheStore, TTL_MS, commitCache, planCache, type CachePlan } from '../emulator/prompt-cache.js';
import type { CacheTtl, PrefixAnalysis, PrefixBlock } from '../wire/prefix.js';

export { LOOKBACK_POSITIONS, TTL_MS } from '../emulator/prompt-cache.js';
export type { CachePlan } from '../emulator/prompt-cache.js';

/** One breakpoint as the shadow sees it: a block and a TTL. */
export interface ShadowBreakpoint {
  readonly block: PrefixBlock;
  readonly ttl: CacheTtl;
}

export class CacheShadow {
  private readonly store = new PromptCacheStore();
  private commits = 0;

  /** What a request would be billed for (input side), with its own breakpoints or with `breakpoints` instead. */
  simulate(space: string, a: PrefixAnalysis, now: number, minTokens: number, breakpoints?: readonly ShadowBreakpoint[]): CachePlan {
    const analysis: PrefixAnalysis = breakpoints
      ? { ...a, breakpoints: [...breakpoints].sort((x, y) => x.block.index - y.block.index).map((b) => ({ block: b.block, ttl: b.ttl, automatic: false })) }
      : a;
    return planCache(this.store, { analysis, minTokens, workspace: space, start: now });
  }

  commit(plan: CachePlan): void {
    commitCache(this.store, plan);
    // Keep the shadow bounded: expired entries are dropped every so often.
    if (++this.commits % 500 === 0) this.store.prune(plan.start);
  }

  /** Records an entry the API evidently holds (it read it), refreshed at `start`. */
  remember(space: string, block: PrefixBlock, start: number, ttl: CacheTtl = '5m'): void {
    const prior = this.store.get(space, block.hash);
    const expiresAt = start + TTL_MS[prior?.ttl ?? ttl];
    if (prior && prior.expiresAt >= expiresAt) return;
    this.store.put({ workspace: space, hash: block.hash, tokens: block.cumTokens, ttl: prior?.ttl ?? ttl, expiresAt, writtenAt: start });
  }

  live(space: string, hash: string, now: number): boolean {
    const e = this.store.get(space, hash);
    return e !== undefined && e.expiresAt > now;
  }

  /** True when an entry for the hash is known and has expired (as opposed to never written). */
  expired(space: string, hash: string, now: number): boolean {
    const e = this.store.get(space, hash);
    return e !== undefined && e.expiresAt <= now;
  }

  /** The highest block of the request that holds a live entry, anywhere (not limited by the lookback). */
  deepestLive(space: string, blocks: readonly PrefixBlock[], now: number): PrefixBlock | null {
    for (let i = blocks.length - 1; i >= 0; i--) {
      const b = blocks[i]!;
      if (this.live(space, b.hash, now)) return b;
    }
    return null;
  }

  get size(): number {
    return this.store.size;
  }
}

/** Whether a breakpoint at `bp` looks back far enough to reach `target` (same request, lower or equal index). */
export function reaches(bp: PrefixBlock, target: PrefixBlock): boolean {
  return bp.index >= target.index && bp.position - target.position <= LOOKBACK_POSITIONS - 1;
}
