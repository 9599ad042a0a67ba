/**
 * 5 minutes or 1 hour: the TTL rule, derived from a model's own prices and the reuse gaps seen for a prefix.
 *
 * Per token of a prefix, with P the input price, W5 / W1 the 5m / 1h write prices and R the read price
 * (standard models: W5 = 1.25P, W1 = 2P, R = 0.1P; Fable/Mythos 5.1 R = 0.025P, Opus 5.5 R = 0.05P):
 * - a reuse that comes within the TTL is a hit and costs R, and the hit refreshes the entry, so a 5m entry that is
 *   hit at least every 5 minutes never has to be written again: steady-state cost R per use;
 * - a reuse that comes after the TTL is a miss that writes again: W5 (5m) or W1 (1h) per use;
 * - not caching costs P per use.
 * With n observed gaps between uses of the prefix, h5 of them under 5 minutes and h1 under an hour, the expected
 * cost of the next use is
 *     5m:   (h5 * R + (n - h5) * W5) / n
 *     1h:   (h1 * R + (n - h1) * W1) / n
 *     none: P
 * and the rule picks the cheapest; 1h only when it is at least 15% cheaper than 5m (ONE_HOUR_MARGIN_PCT), since
 * 1h costs more up front and the gaps are a small sample. Worked for a standard model
 * (P = 1, W5 = 1.25, W1 = 2, R = 0.1):
 * - every gap under 5m: 5m costs 0.1, 1h costs 0.1 -> 5m (its first write is 0.75 cheaper);
 * - every gap 5-60 min: 5m costs 1.25 (worse than not caching), 1h costs 0.1 -> 1h;
 * - half the gaps under 5m, the rest 5-60 min: 5m = 0.675, 1h = 0.1 -> 1h;
 * - 90% under 5m, 10% 5-60 min: 5m = 0.215, 1h = 0.1 -> 1h; 90% under 5m, 10% over an hour:
 *   5m = 0.215, 1h = 0.29 -> 5m;
 * - every gap over an hour: 5m = 1.25, 1h = 2, none = 1 -> do not cache.
 * Break-even of one extra 1h write against rewriting the 5m entry: W1 - W5 = 0.75 vs W5 - R = 1.15 per late
 * reuse, so 1h pays as soon as one late reuse is expected per 0.65 writes. The comparison is done in integer
 * pico-dollars per token from the catalog, so a model with a different read ratio gets its own answer.
 * Lifetimes run from the start of a request (section 2.4), so a gap counts as a hit only under 95% of the TTL.
 */
import type { Rates } from '../pricing/catalog.js';
import type { CacheTtl } from '../wire/prefix.js';
import { TTL_MS } from './cache-shadow.js';

export const HIT_MARGIN = 0.95;
/**
 * 1h must be expected to cost at least this many percent less than 5m before it is chosen: the gaps are a small
 * sample, 1h costs more up front, and the lever promises never to cost more than the client's own caching.
 */
export const ONE_HOUR_MARGIN_PCT = 15n;

export interface TtlChoice {
  /** null: caching this prefix costs more than it saves at the observed gaps. */
  readonly ttl: CacheTtl | null;
  /** Expected cost of the next use per million tokens, in pico-dollars (for the decision record). */
  readonly perMTok: { readonly none: bigint; readonly m5: bigint; readonly h1: bigint };
  readonly gaps: number;
}

/**
 * Tokens at stake for a growing conversation's newest-turn breakpoint: `write` tokens are written now whatever the
 * TTL (the new turn), `atRisk` tokens are cached already and must be written again if the next turn comes after the
 * entry expired (the conversation so far, beyond the shared heads that other sessions keep warm).
 */
export interface TurnSizes {
  readonly write: number;
  readonly atRisk: number;
}

/**
 * The TTL whose expected cost for the next use is lowest. Per token of prefix (no sizes): the formulas in the file
 * header. With sizes (a conversation turn): the new turn is written at W either way, and the tokens at risk are
 * read (R) on a hit or written again (W) on a miss:
 *     5m:   write * W5 + atRisk * (h5 * R + (n - h5) * W5) / n
 *     1h:   write * W1 + atRisk * (h1 * R + (n - h1) * W1) / n
 *     none: (write + atRisk) * P, shown for the record; whether the turn is written at all is `writePays`'s call
 * e.g. a 300-token turn on a 2,000-token conversation with one gap in ten over 5 minutes (standard model):
 * 5m = 375 + 2000 * 0.215 = 805, 1h = 600 + 2000 * 0.1 = 800: 1h is not 15% cheaper -> 5m; on a 6,000-token
 * conversation 5m = 375 + 1290 = 1665, 1h = 600 + 600 = 1200 -> 1h.
 */
export function chooseTtl(rates: Rates, gapsMs: readonly number[], sizes?: TurnSizes): TtlChoice {
  const n = BigInt(gapsMs.length);
  if (n === 0n) return { ttl: '5m', perMTok: { none: rates.input * 1_000_000n, m5: rates.cache_write_5m * 1_000_000n, h1: rates.cache_write_1h * 1_000_000n }, gaps: 0 };
  const write = BigInt(sizes?.write ?? 0);
  const risk = BigInt(sizes?.atRisk ?? 1);
  let hits5 = 0;
  let hits1 = 0;
  for (const g of gapsMs) {
    if (g < TTL_MS['5m'] * HIT_MARGIN) hits5++;
    if (g < TTL_MS['1h'] * HIT_MARGIN) hits1++;
  }
  const h5 = BigInt(hits5);
  const h1 = BigInt(hits1);
  // Everything times n (and per million tokens for display) so the arithmetic stays in integers.
  const m5 = write * rates.cache_write_5m * n + risk * (h5 * rates.cache_read + (n - h5) * rates.cache_write_5m);
  const hr = write * rates.cache_write_1h * n + risk * (h1 * rates.cache_read + (n - h1) * rates.cache_write_1h);
  const none = (write + risk) * rates.input * n;
  const unit = write + risk > 0n ? (write + risk) * n : 1n;
  const perMTok = { none: (none * 1_000_000n) / unit, m5: (m5 * 1_000_000n) / unit, h1: (hr * 1_000_000n) / unit };
  let ttl: CacheTtl | null = hr * 100n < m5 * (100n - ONE_HOUR_MARGIN_PCT) ? '1h' : '5m';
  if (sizes === undefined) {
    if ((ttl === '5m' ? m5 : hr) >= none) ttl = null;
  } else if (perTokenTtl(rates, n, h5, h1) === null) {
    // A turn's own write pays off in the next turn (writePays decides that); here only "no TTL is long enough".
    ttl = null;
  }
  return { ttl, perMTok, gaps: gapsMs.length };
}

/** chooseTtl's answer per token of prefix (no sizes), from n gaps of which h5 / h1 are hits: the rule alone. */
function perTokenTtl(rates: Rates, n: bigint, h5: bigint, h1: bigint): CacheTtl | null {
  const m5 = h5 * rates.cache_read + (n - h5) * rates.cache_write_5m;
  const hr = h1 * rates.cache_read + (n - h1) * rates.cache_write_1h;
  const ttl: CacheTtl = hr * 100n < m5 * (100n - ONE_HOUR_MARGIN_PCT) ? '1h' : '5m';
  return (ttl === '5m' ? m5 : hr) >= rates.input * n ? null : ttl;
}

/**
 * Whether writing a prefix now pays, given the chance p that it is reused (continued) within the TTL: writing costs
 * W now and R at the reuse; not writing costs P now and W at the reuse (the next request writes it then).
 * Pays iff W + p*R < P + p*W, i.e. p > (W - P) / (W - R): 0.217 for 5m and 0.526 for 1h on a standard model.
 * `p` is given as a fraction num/den.
 */
export function writePays(rates: Rates, ttl: CacheTtl, pNum: number, pDen: number): boolean {
  const w = ttl === '1h' ? rates.cache_write_1h : rates.cache_write_5m;
  const num = BigInt(pNum);
  const den = BigInt(pDen);
  return w * den + num * rates.cache_read < rates.input * den + num * w;
}
