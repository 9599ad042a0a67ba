/**
 * The cache replay: prices a session's requests again under a caching policy, from token counts alone (a small
 * replay of reference section 2, written here because src/emulator/prompt-cache.ts did not exist yet).
 *
 * Model of a request ("shape"): its prompt is P tokens; the first `shared` of them are the same as the previous
 * request of the session (Claude Code appends to the conversation, so a growing prompt shares all of the previous
 * one; a shrinking one shares what the API reported reading from cache). One breakpoint sits at the end of the
 * prompt, as Claude Code and automatic caching place it, leaving the observed uncached tail uncached.
 * Rules applied: an entry is readable until its TTL runs out, measured from the last request that wrote or read
 * it (hits refresh it); a switch of model starts a new cache; prompts under the model's minimum cacheable length
 * are never cached; 5m writes cost 1.25x input, 1h writes 2x, reads the model's read price (all via priceResolved).
 */
import type { CatalogModel } from '../../pricing/catalog.js';
import type { Pico } from '../../pricing/money.js';
import type { UsageIteration } from '../../pricing/usage.js';
import type { Lines, Pricer } from './pricer.js';

export type TtlPolicy = 'observed' | '5m' | '1h' | 'adaptive' | 'none';

export interface Shape {
  readonly row: number;
  readonly ts: number;
  model: CatalogModel;
  /** Every prompt token: uncached input + cache writes + cache reads. */
  prompt: number;
  /** Tokens at the start of the prompt identical to the previous request of the session. */
  shared: number;
  /** Uncached tail after the last breakpoint, as observed. */
  tail: number;
  output: number;
  /** The TTL the request actually wrote with ('5m' if it wrote nothing). */
  readonly observedTtl: '5m' | '1h';
  batch: boolean;
  readonly geo: string | null;
  readonly fast: boolean;
  /** Extra billed steps (compaction iterations), kept as they were. */
  readonly steps: readonly UsageIteration[];
  readonly webSearches: number;
  /** Extra cost the what-if adds for this request (e.g. a summary call), priced already. */
  extra: Pico;
}

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/** Scratch token lines handed to the pricer (which copies them): no object per replayed request. */
const lines: Lines = { input: 0, write5m: 0, write1h: 0, read: 0, output: 0 };
const oracleMods = { batch: true, geo: null as string | null, fast: false };

/** Replays one session's shapes (in time order) under a TTL policy into `pricer`. */
export function replaySession(shapes: readonly Shape[], policy: TtlPolicy, pricer: Pricer): void {
  // The first request may read what an earlier session left (the API reported it): start with that much cached.
  let cached = shapes[0]?.shared ?? 0;
  let expires = shapes[0]?.ts ?? -Infinity;
  let model: CatalogModel | null = shapes[0]?.model ?? null;
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    if (model !== s.model) {
      cached = 0;
      model = s.model;
    }
    const alive = cached > 0 && s.ts <= expires;
    const hit = alive ? Math.min(s.shared, cached, s.prompt) : 0;
    const cacheable = policy !== 'none' && s.prompt >= s.model.entry.min_cacheable_tokens;
    const tail = Math.min(s.tail, s.prompt - hit);
    const write = cacheable ? s.prompt - hit - tail : 0;
    const input = s.prompt - hit - write;
    let ttl: '5m' | '1h' = s.observedTtl;
    if (policy === '5m' || policy === '1h') ttl = policy;
    else if (policy === 'adaptive') {
      const next = shapes[k + 1];
      ttl = next !== undefined && next.ts - s.ts > TTL_MS['5m'] && next.ts - s.ts <= TTL_MS['1h'] ? '1h' : '5m';
    }
    lines.input = input;
    lines.write5m = ttl === '5m' ? write : 0;
    lines.write1h = ttl === '1h' ? write : 0;
    lines.read = hit;
    lines.output = s.output;
    pricer.add(s.model, lines, s, s.webSearches, s.steps, s.extra);
    if (write > 0 || hit > 0) {
      cached = hit + write;
      expires = s.ts + TTL_MS[ttl];
    } else if (!cacheable) {
      cached = 0;
    }
  }
}

/**
 * The oracle floor for one session: perfect caching with no expiry (every token the previous request sent is
 * read at the read price; a new token is written at the 5m price only if a later request reuses it, else sent
 * uncached), every request at batch prices, same models, same outputs.
 */
export function oracleSession(shapes: readonly Shape[], pricer: Pricer): void {
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    const prev = shapes[k - 1];
    const next = shapes[k + 1];
    const hit = prev && prev.model === s.model ? Math.min(s.shared, s.prompt) : 0;
    const fresh = s.prompt - hit;
    const reused = next && next.model === s.model && s.prompt >= s.model.entry.min_cacheable_tokens ? Math.min(fresh, Math.max(0, next.shared - hit)) : 0;
    lines.input = fresh - reused;
    lines.write5m = reused;
    lines.write1h = 0;
    lines.read = hit;
    lines.output = s.output;
    oracleMods.geo = s.geo;
    pricer.add(s.model, lines, oracleMods, s.webSearches, s.steps);
  }
}
