/**
 * Reading plain JSON values straight from bytes, for the usage scanner: whitespace, a key and its colon, a scalar
 * (a non-negative integer of up to 15 digits, null, true, false, a short string without escapes, or `[]`). Anything
 * else answers false, and the caller leaves the text to JSON.parse. Results go to `v` (one object, no allocation).
 */

export const QUOTE = 34;
export const BACKSLASH = 92;
export const COMMA = 44;
export const COLON = 58;
export const LBRACE = 123;
export const RBRACE = 125;
export const LBRACKET = 91;
export const RBRACKET = 93;

export function ws(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  return i;
}

/** Where a scanned value ended (`at`) and what it was. */
export const v = { at: 0, kind: 0, num: 0, s: 0, e: 0 };
export const K_NUM = 1;
export const K_NULL = 2;
export const K_STR = 3;
export const K_BOOL = 4;
export const K_EMPTY_LIST = 5;

/** A plain JSON value at i: a non-negative integer, null, true, false, a short string without escapes, or `[]`. */
export function scalar(b: Uint8Array, i: number, end: number): boolean {
  const c = b[i];
  if (c === undefined) return false;
  if (c >= 48 && c <= 57) {
    let j = i + 1;
    let x = c - 48;
    if (c === 48 && j < end && b[j]! >= 48 && b[j]! <= 57) return false; // a leading zero is not JSON
    while (j < end && b[j]! >= 48 && b[j]! <= 57) x = x * 10 + (b[j++]! - 48);
    if (j - i > 15) return false; // beyond exact doubles: leave it to JSON.parse
    const d = b[j];
    if (d === 46 || d === 101 || d === 69) return false; // a fraction or an exponent
    v.at = j;
    v.kind = K_NUM;
    v.num = x;
    return true;
  }
  if (c === QUOTE) {
    const stop = Math.min(end, i + 64);
    for (let j = i + 1; j < stop; j++) {
      const d = b[j]!;
      if (d === QUOTE) {
        v.at = j + 1;
        v.kind = K_STR;
        v.s = i + 1;
        v.e = j;
        return true;
      }
      if (d === BACKSLASH || d < 32) return false;
    }
    return false;
  }
  if (c === 110 && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108) {
    v.at = i + 4;
    v.kind = K_NULL;
    return true;
  }
  if (c === 116 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101) {
    v.at = i + 4;
    v.kind = K_BOOL;
    return true;
  }
  if (c === 102 && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101) {
    v.at = i + 5;
    v.kind = K_BOOL;
    return true;
  }
  if (c === LBRACKET) {
    const j = ws(b, i + 1, end);
    if (b[j] !== RBRACKET) return false;
    v.at = j + 1;
    v.kind = K_EMPTY_LIST;
    return true;
  }
  return false;
}

/** A key at i (a short string without escapes) and the colon after it: [start, end) of its bytes in v.s / v.e, v.at after the colon. */
export function keyAt(b: Uint8Array, i: number, end: number): boolean {
  if (b[i] !== QUOTE || !scalar(b, i, end) || v.kind !== K_STR) return false;
  const j = ws(b, v.at, end);
  if (b[j] !== COLON) return false;
  v.at = ws(b, j + 1, end);
  return true;
}

export function is(b: Uint8Array, s: number, e: number, k: Uint8Array): boolean {
  if (e - s !== k.length) return false;
  for (let x = 0; x < k.length; x++) if (b[s + x] !== k[x]) return false;
  return true;
}
