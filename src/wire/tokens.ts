/**
 * A deterministic token estimate, per tokenizer family. There is no official offline tokenizer for current Claude
 * models (reference section 5), so this is an approximation by length: ~3.5 characters per token for the tokenizer
 * of Claude 4.6 and earlier ("claude-2025") and ~2.7 for Claude 4.7 and later ("claude-2026"), i.e. ~30% more
 * tokens for the same text, as the pricing page says. The emulator bills with these exact numbers, so tests are
 * exact; against the real API they are an estimate, which `TokenCalibration` corrects from observed usage.
 *
 * Everything here is additive per block so a prompt's prefix can be measured block by block.
 */
import type { TokenizerFamily } from '../pricing/catalog-schema.js';

export type { TokenizerFamily };

/** Characters per token, times ten (integer arithmetic keeps the estimate identical everywhere). */
export const CHARS_PER_TOKEN_X10: Readonly<Record<TokenizerFamily, number>> = { 'claude-2025': 35, 'claude-2026': 27 };

/** Framing tokens each content block, tool definition or system block adds. */
export const BLOCK_OVERHEAD = 3;
/** Framing tokens each message adds (role markers), counted on its first block. */
export const MESSAGE_OVERHEAD = 4;
/** Tokens every request carries outside any block; they are never cached. */
export const REQUEST_OVERHEAD = 3;
/** An image block, whatever its size (the API's own figure for a ~1.15 megapixel image is ~1,600). */
export const IMAGE_TOKENS = 1600;

export function textTokens(text: string, family: TokenizerFamily): number {
  return charTokens(text.length, family);
}

/** The estimate for a text of `length` characters (for callers that know the length without holding the text). */
export function charTokens(length: number, family: TokenizerFamily): number {
  if (length <= 0) return 0;
  return Math.ceil((length * 10) / CHARS_PER_TOKEN_X10[family]);
}

/**
 * Learns how far estimates are from what the API reported (per family), and scales later estimates by it.
 * Fed with (estimated, actual) input-token pairs from metered responses.
 */
export class TokenCalibration {
  private readonly sums = new Map<TokenizerFamily, { est: number; act: number }>();

  observe(family: TokenizerFamily, estimated: number, actual: number): void {
    if (estimated <= 0 || actual <= 0) return;
    const s = this.sums.get(family) ?? { est: 0, act: 0 };
    s.est += estimated;
    s.act += actual;
    this.sums.set(family, s);
  }

  /** actual / estimated so far (1 before anything was observed). */
  factor(family: TokenizerFamily): number {
    const s = this.sums.get(family);
    return s && s.est > 0 ? s.act / s.est : 1;
  }

  apply(family: TokenizerFamily, estimated: number): number {
    return Math.ceil(estimated * this.factor(family));
  }
}
