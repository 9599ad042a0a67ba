/**
 * The prompt-cache engine: decides, for one request, what the API reads from and writes to its prompt cache, and
 * the resulting usage split. Pure decisions over a store the caller owns; no clock, no I/O. The emulator bills with
 * it, the caching lever and `analyze`'s what-if replay reuse it. Rules (reference section 2):
 *
 * - Input is a PrefixAnalysis (src/wire/prefix.ts): blocks in prefix order tools -> system -> messages, each with
 *   cumulative tokens and a cumulative hash (model and cache-relevant settings are part of the chain), plus the
 *   breakpoints (explicit `cache_control` and the automatic top-level one).
 * - Reads: at every breakpoint the engine looks for an entry with the block's hash, then walks backwards through
 *   up to 20 lookback positions (the breakpoint's own position counts as the first; a run of consecutive tool_use,
 *   or tool_result, blocks is one position). The highest block found over all breakpoints is the hit, A. An entry
 *   counts only if it is in the same workspace (isolation), already committed, and not expired at the request's
 *   start.
 * - Writes happen only at breakpoints after A whose prefix reaches the model's minimum cacheable length (shorter
 *   prefixes are silently not cached). Billing positions: B = the highest 1h breakpoint written, C = the last
 *   breakpoint written; 1h write = B - A, 5m write = C - max(A, B). `input_tokens` = everything else (uncached only).
 * - TTL (5m or 1h) is measured from the START of the request that wrote or read the entry. A hit refreshes every
 *   entry on the read prefix (all blocks up to A) to start + its TTL.
 * - An entry becomes readable only once the writing response has begun: `planCache` never mutates; the caller calls
 *   `commitCache(store, plan)` when its response begins, so concurrent requests that planned earlier both write.
 *
 * `count_tokens` applies none of this: the engine is only used for billed requests.
 */
import type { CacheTtl, PrefixAnalysis } from '../wire/prefix.js';

export const TTL_MS: Readonly<Record<CacheTtl, number>> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };
/** Block positions the read walks back from each breakpoint, the breakpoint included. */
export const LOOKBACK_POSITIONS = 20;

export interface CacheEntry {
  readonly workspace: string;
  readonly hash: string;
  readonly tokens: number;
  readonly ttl: CacheTtl;
  expiresAt: number;
  readonly writtenAt: number;
}

/** Where entries live. The emulator keeps one per process; a what-if replay makes its own. */
export class PromptCacheStore {
  private readonly entries = new Map<string, CacheEntry>();

  static key(workspace: string, hash: string): string {
    return `${workspace}\u0000${hash}`;
  }
  get(workspace: string, hash: string): CacheEntry | undefined {
    return this.entries.get(PromptCacheStore.key(workspace, hash));
  }
  put(e: CacheEntry): void {
    this.entries.set(PromptCacheStore.key(e.workspace, e.hash), e);
  }
  /** Drops entries expired at `now`; returns how many. */
  prune(now: number): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt > now) continue;
      this.entries.delete(k);
      n++;
    }
    return n;
  }
  clear(): void {
    this.entries.clear();
  }
  get size(): number {
    return this.entries.size;
  }
}

/** The input-side usage fields exactly as the API reports them. */
export interface CacheUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

export interface CacheRequest {
  readonly analysis: PrefixAnalysis;
  /** The model's minimum cacheable prompt length (catalog `min_cacheable_tokens`). */
  readonly minTokens: number;
  readonly workspace: string;
  /** When the request started (ms); TTLs are measured from here. */
  readonly start: number;
  /** False for count_tokens-like uses: no reads, no writes (default true). */
  readonly enabled?: boolean;
}

export interface CacheWrite {
  readonly hash: string;
  readonly tokens: number;
  readonly ttl: CacheTtl;
  readonly blockIndex: number;
}

export interface CachePlan {
  readonly usage: CacheUsage;
  readonly workspace: string;
  readonly start: number;
  /** Index (prefix order) of the block the read ended at, or null for a miss. */
  readonly hitBlock: number | null;
  /** Hashes of the entries on the read prefix, refreshed at commit. */
  readonly refresh: readonly string[];
  readonly writes: readonly CacheWrite[];
}

function readable(e: CacheEntry | undefined, start: number): e is CacheEntry {
  return e !== undefined && e.expiresAt > start;
}

/** Decides reads and writes for one request. Reads the store, never changes it. */
export function planCache(store: PromptCacheStore, req: CacheRequest): CachePlan {
  const { analysis, workspace, start } = req;
  const total = analysis.totalTokens;
  const none: CachePlan = {
    usage: { input_tokens: total, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } },
    workspace, start, hitBlock: null, refresh: [], writes: [],
  };
  if (req.enabled === false || analysis.breakpoints.length === 0) return none;
  const blocks = analysis.blocks;

  // A: the highest block with a readable entry, over the lookback window of every breakpoint.
  let hit = -1;
  for (const bp of analysis.breakpoints) {
    const lowest = bp.block.position - (LOOKBACK_POSITIONS - 1);
    for (let i = bp.block.index; i >= 0 && i > hit; i--) {
      const b = blocks[i]!;
      if (b.position < lowest) break;
      if (readable(store.get(workspace, b.hash), start)) {
        hit = i;
        break;
      }
    }
  }
  const read = hit >= 0 ? blocks[hit]!.cumTokens : 0;

  const writes: CacheWrite[] = [];
  for (const bp of analysis.breakpoints) {
    if (bp.block.cumTokens <= read || bp.block.index <= hit) continue;
    if (bp.block.cumTokens < req.minTokens) continue;
    writes.push({ hash: bp.block.hash, tokens: bp.block.cumTokens, ttl: bp.ttl, blockIndex: bp.block.index });
  }
  let b1h = read;
  for (const w of writes) if (w.ttl === '1h' && w.tokens > b1h) b1h = w.tokens;
  let c = read;
  for (const w of writes) if (w.tokens > c) c = w.tokens;
  const w1h = b1h - read;
  const w5m = Math.max(0, c - b1h);

  const refresh: string[] = [];
  for (let i = 0; i <= hit; i++) {
    const h = blocks[i]!.hash;
    if (readable(store.get(workspace, h), start)) refresh.push(h);
  }
  return {
    usage: {
      input_tokens: total - read - w1h - w5m,
      cache_creation_input_tokens: w1h + w5m,
      cache_read_input_tokens: read,
      cache_creation: { ephemeral_5m_input_tokens: w5m, ephemeral_1h_input_tokens: w1h },
    },
    workspace, start, hitBlock: hit >= 0 ? hit : null, refresh, writes,
  };
}

/** Makes a plan's writes readable and refreshes its hits; call when the response begins. */
export function commitCache(store: PromptCacheStore, plan: CachePlan): void {
  for (const h of plan.refresh) {
    const e = store.get(plan.workspace, h);
    if (e) e.expiresAt = Math.max(e.expiresAt, plan.start + TTL_MS[e.ttl]);
  }
  for (const w of plan.writes) {
    const prior = store.get(plan.workspace, w.hash);
    const expiresAt = plan.start + TTL_MS[w.ttl];
    if (prior && prior.expiresAt > plan.start && prior.expiresAt >= expiresAt) continue;
    store.put({ workspace: plan.workspace, hash: w.hash, tokens: w.tokens, ttl: w.ttl, expiresAt, writtenAt: plan.start });
  }
}
