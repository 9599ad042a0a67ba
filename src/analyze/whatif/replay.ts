/**
 * The cache replay: prices a session's requests again under a caching policy, from token counts alone (a small
 * replay of reference section 2, written here because src/emulator/prompt-cache.ts did not exist yet).
 *
 * One breakpoint sits at the end of the prompt, as Claude Code and automatic caching place it, leaving the
 * observed uncached tail uncached (the model of a request: shapes.ts).
 * Rules applied: an entry is readable until its TTL runs out, measured from the last request that wrote or read
 * it (hits refresh it); a switch of model starts a new cache; prompts under the model's minimum cacheable length
 * are never cached; 5m writes cost 1.25x input, 1h writes 2x, reads the model's read price (all via priceResolved).
 */
import type { Pricer } from './pricer.js';
import { BATCH, FAST, TTL_1H, type Shapes } from './shapes.js';

export type TtlPolicy = 'observed' | '5m' | '1h' | 'adaptive' | 'none';

const TTL_5M = 5 * 60_000;
const TTL_1H_MS = 60 * 60_000;

/** Replays the session of shapes [start, end) (in time order) under a TTL policy into `pricer`. */
export function replaySession(s: Shapes, start: number, end: number, policy: TtlPolicy, pricer: Pricer): void {
  if (start >= end) return;
  const { ts, prompt, shared, tail: tails, output, model, flags, geo, web, steps, extra, models, geos } = s;
  const hasSteps = steps.size > 0;
  const hasExtra = extra.size > 0;
  // The first request may read what an earlier session left (the API reported it): start with that much cached.
  let cached = shared[start]!;
  let expires = ts[start]!;
  let cur = model[start]!;
  for (let k = start; k < end; k++) {
    const mi = model[k]!;
    if (cur !== mi) {
      cached = 0;
      cur = mi;
    }
    const t = ts[k]!;
    const p = prompt[k]!;
    const alive = cached > 0 && t <= expires;
    const hit = alive ? Math.min(shared[k]!, cached, p) : 0;
    const cacheable = policy !== 'none' && p >= models[mi]!.entry.min_cacheable_tokens;
    const tail = Math.min(tails[k]!, p - hit);
    const write = cacheable ? p - hit - tail : 0;
    const input = p - hit - write;
    const f = flags[k]!;
    let oneHour = (f & TTL_1H) !== 0;
    if (policy === '5m') oneHour = false;
    else if (policy === '1h') oneHour = true;
    else if (policy === 'adaptive') {
      const gap = k + 1 < end ? ts[k + 1]! - t : -1;
      oneHour = gap > TTL_5M && gap <= TTL_1H_MS;
    }
    const g = geo[k]!;
    pricer.add(mi, input, oneHour ? 0 : write, oneHour ? write : 0, hit, output[k]!, (f & BATCH) !== 0, (f & FAST) !== 0, g < 0 ? null : geos[g]!, web[k]!, hasSteps ? steps.get(k) : undefined, hasExtra ? extra.get(k) : undefined);
    if (write > 0 || hit > 0) {
      cached = hit + write;
      expires = t + (oneHour ? TTL_1H_MS : TTL_5M);
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
export function oracleSession(s: Shapes, start: number, end: number, pricer: Pricer): void {
  const { prompt, shared, output, model, geo, web, steps, models, geos } = s;
  for (let k = start; k < end; k++) {
    const mi = model[k]!;
    const p = prompt[k]!;
    const hit = k > start && model[k - 1] === mi ? Math.min(shared[k]!, p) : 0;
    const fresh = p - hit;
    const reused = k + 1 < end && model[k + 1] === mi && p >= models[mi]!.entry.min_cacheable_tokens ? Math.min(fresh, Math.max(0, shared[k + 1]! - hit)) : 0;
    const g = geo[k]!;
    pricer.add(mi, fresh - reused, reused, 0, hit, output[k]!, true, false, g < 0 ? null : geos[g]!, web[k]!, steps.get(k), undefined);
  }
}
