/**
 * Money is integer pico-dollars (1 USD = 10^12 pUSD), held as bigint.
 *
 * Why pico: every list price in $/MTok has at most three decimals, and the multipliers that stack on it
 * (batch 0.5, inference_geo 1.1) add at most two more, so a price expressed as pUSD *per token*
 * ($/MTok x 10^6) is always a whole number, and tokens x rate is exact. Nano-dollars are not fine enough:
 * Haiku 5.5's batch 5m cache write is $0.0625/MTok = 62.5 nUSD per token.
 */

export type Pico = bigint;

export const PICO_PER_USD = 1_000_000_000_000n;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * A price in USD per million tokens, written as a decimal string ("3", "0.125", "22.50"), to an integer rate in
 * pico-dollars per token. Throws on anything that is not an exact decimal with at most six places.
 */
export function perMTokToPicoPerToken(usdPerMTok: string): Pico {
  const m = DECIMAL.exec(usdPerMTok.trim());
  if (!m) throw new Error(`not a decimal price: "${usdPerMTok}"`);
  const whole = m[1] ?? '0';
  const frac = m[2] ?? '';
  if (frac.length > 6) throw new Error(`price "${usdPerMTok}" has more than 6 decimal places`);
  // $/MTok x 10^12 pUSD/USD / 10^6 tok/MTok = x 10^6
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
}

/** A USD amount written as a decimal string (e.g. "10" dollars per 1,000 searches) to pico-dollars. */
export function usdToPico(usd: string): Pico {
  const m = DECIMAL.exec(usd.trim());
  if (!m) throw new Error(`not a decimal amount: "${usd}"`);
  const frac = m[2] ?? '';
  if (frac.length > 12) throw new Error(`amount "${usd}" has more than 12 decimal places`);
  return BigInt(m[1] ?? '0') * PICO_PER_USD + BigInt(frac.padEnd(12, '0'));
}

/** A multiplier as an exact fraction, parsed from a decimal string ("0.5", "1.1"). */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

export function parseRatio(decimal: string): Ratio {
  const m = DECIMAL.exec(decimal.trim());
  if (!m) throw new Error(`not a decimal multiplier: "${decimal}"`);
  const frac = m[2] ?? '';
  return { num: BigInt((m[1] ?? '0') + frac), den: 10n ** BigInt(frac.length) };
}

export const ONE: Ratio = { num: 1n, den: 1n };

export function mulRatio(a: Ratio, b: Ratio): Ratio {
  return { num: a.num * b.num, den: a.den * b.den };
}

/**
 * Applies a ratio to a rate. The result must stay a whole number of pico-dollars per token; if a user's price
 * override makes it fractional, that is a configuration error rather than something to round silently.
 */
export function scaleRate(rate: Pico, r: Ratio): Pico {
  const n = rate * r.num;
  if (n % r.den !== 0n) throw new Error(`rate ${rate} pUSD/token x ${r.num}/${r.den} is not a whole number of pUSD`);
  return n / r.den;
}

/** Pico-dollars to a JS number of dollars, for display and JSON only. Never sum these. */
export function picoToUsd(p: Pico): number {
  return Number(p) / 1e12;
}

/** Exact decimal string of dollars ("0.0123456789"), trailing zeros trimmed. */
export function formatUsdExact(p: Pico): string {
  const neg = p < 0n;
  const a = neg ? -p : p;
  const whole = a / PICO_PER_USD;
  const frac = (a % PICO_PER_USD).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** Dollars rounded half-up to `digits` decimals for tables ("$0.0123"). */
export function formatUsd(p: Pico, digits = 4): string {
  const neg = p < 0n;
  const a = neg ? -p : p;
  const unit = 10n ** BigInt(12 - digits);
  const rounded = (a + unit / 2n) / unit;
  const s = rounded.toString().padStart(digits + 1, '0');
  const whole = s.slice(0, s.length - digits);
  const frac = s.slice(s.length - digits);
  return `${neg ? '-' : ''}$${whole}${digits > 0 ? '.' + frac : ''}`;
}
