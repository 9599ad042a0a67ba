/**
 * The part of a `usage` object the record table keeps, read two ways that must agree: `usageFields` from a parsed
 * object (the reference: the cost engine's tokenLines and the table's rules), and `scanUsage` straight from the
 * bytes of a log line, without JSON.parse building the object. The scanner reads only the plain shape Claude Code
 * writes (integers, null, short unescaped strings, flat nested objects, an empty `iterations` list) and answers
 * false for anything else (a fraction, an exponent, an escape, extra billed steps, a value JSON.parse would reject),
 * so the caller parses that usage with JSON.parse. usage-scan.test.ts checks the two agree.
 */
import { tokenLines, type Usage } from '../pricing/usage.js';

export interface UsageFields {
  input: number;
  w5: number;
  w1h: number;
  read: number;
  output: number;
  web: number;
  batch: boolean;
  fast: boolean;
  geo: string | null;
}

function n(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** The reference: what the table keeps of a parsed usage object (extra steps aside). */
export function usageFields(u: Usage, into: UsageFields = newUsageFields()): UsageFields {
  const l = tokenLines(u);
  into.input = l.input;
  into.w5 = l.cache_write_5m;
  into.w1h = l.cache_write_1h;
  into.read = l.cache_read;
  into.output = l.output;
  into.web = n(u.server_tool_use?.web_search_requests);
  into.batch = u.service_tier === 'batch';
  into.fast = u.speed === 'fast';
  into.geo = u.inference_geo || null;
  return into;
}

export function newUsageFields(): UsageFields {
  return { input: 0, w5: 0, w1h: 0, read: 0, output: 0, web: 0, batch: false, fast: false, geo: null };
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

function ws(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  return i;
}

/** Where a scanned value ended (`at`) and what it was. */
const v = { at: 0, kind: 0, num: 0, s: 0, e: 0 };
const K_NUM = 1;
const K_NULL = 2;
const K_STR = 3;
const K_BOOL = 4;
const K_EMPTY_LIST = 5;

/** A plain JSON value at i: a non-negative integer, null, true, false, a short string without escapes, or `[]`. */
function scalar(b: Uint8Array, i: number, end: number): boolean {
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
function keyAt(b: Uint8Array, i: number, end: number): boolean {
  if (b[i] !== QUOTE || !scalar(b, i, end) || v.kind !== K_STR) return false;
  const j = ws(b, v.at, end);
  if (b[j] !== COLON) return false;
  v.at = ws(b, j + 1, end);
  return true;
}

function is(b: Uint8Array, s: number, e: number, k: Uint8Array): boolean {
  if (e - s !== k.length) return false;
  for (let x = 0; x < k.length; x++) if (b[s + x] !== k[x]) return false;
  return true;
}

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_INPUT = bytes('input_tokens');
const K_OUTPUT = bytes('output_tokens');
const K_WRITE = bytes('cache_creation_input_tokens');
const K_READ = bytes('cache_read_input_tokens');
const K_SPLIT = bytes('cache_creation');
const K_5M = bytes('ephemeral_5m_input_tokens');
const K_1H = bytes('ephemeral_1h_input_tokens');
const K_TOOLS = bytes('server_tool_use');
const K_WEB = bytes('web_search_requests');
const K_TIER = bytes('service_tier');
const K_SPEED = bytes('speed');
const K_GEO = bytes('inference_geo');
const K_STEPS = bytes('iterations');
const V_BATCH = bytes('batch');
const V_FAST = bytes('fast');

/** A number-or-null field's value as tokenLines reads it (null is 0); false for any other kind. */
function count(): number {
  return v.kind === K_NUM ? v.num : v.kind === K_NULL ? 0 : -1;
}

/** The buffer and the result being scanned (module state: no closure per line). */
let B: Buffer = Buffer.alloc(0);
let OUT: UsageFields = newUsageFields();
let S5 = 0;
let S1 = 0;

/** Whether the string value is exactly `k` (null and other strings: false); undefined for any other kind. */
function strIs(k: Uint8Array): boolean | undefined {
  if (v.kind === K_STR) return is(B, v.s, v.e, k);
  if (v.kind === K_NULL) return false;
  return undefined;
}

const F_OTHER = 0;
const F_CACHE_CREATION = 1;
const F_SERVER_TOOLS = 2;

/** One field of a nested flat object; false to give up. */
function field(which: number, ks: number, ke: number): boolean {
  if (which === F_CACHE_CREATION) {
    const c = count();
    if (is(B, ks, ke, K_5M)) {
      if (c < 0) return false;
      S5 = c;
    } else if (is(B, ks, ke, K_1H)) {
      if (c < 0) return false;
      S1 = c;
    }
  } else if (which === F_SERVER_TOOLS && is(B, ks, ke, K_WEB)) {
    const c = count();
    if (c < 0) return false;
    OUT.web = c;
  }
  return true;
}

/**
 * A flat object at i (values are scalars); `field` reads each of its keys (the value in `v`) as `which` says.
 * The index after the object, or -1.
 */
function flatObject(b: Uint8Array, i: number, end: number, which: number): number {
  i = ws(b, i + 1, end);
  if (b[i] === RBRACE) return i + 1;
  while (i < end) {
    if (!keyAt(b, i, end)) return -1;
    const ks = v.s;
    const ke = v.e;
    if (!scalar(b, v.at, end) || v.kind === K_EMPTY_LIST || !field(which, ks, ke)) return -1;
    i = ws(b, v.at, end);
    if (b[i] === COMMA) i = ws(b, i + 1, end);
    else if (b[i] === RBRACE) return i + 1;
    else return -1;
  }
  return -1;
}

/**
 * Reads the usage object at b[i] (an opening brace) into `out` as `usageFields` would read JSON.parse's object.
 * The index after the object, or -1 when the object is not in the plain shape (the caller then uses JSON.parse).
 */
export function scanUsage(b: Buffer, i: number, end: number, out: UsageFields): number {
  B = b;
  OUT = out;
  S5 = 0;
  S1 = 0;
  let aggregate = 0;
  let split = false;
  out.input = 0;
  out.read = 0;
  out.output = 0;
  out.web = 0;
  out.batch = false;
  out.fast = false;
  out.geo = null;
  i = ws(b, i + 1, end);
  if (b[i] === RBRACE) {
    out.w5 = 0;
    out.w1h = 0;
    return i + 1;
  }
  while (i < end) {
    if (!keyAt(b, i, end)) return -1;
    const ks = v.s;
    const ke = v.e;
    const vs = v.at;
    let ve: number;
    if (b[vs] === LBRACE) {
      // cache_creation, server_tool_use, output_tokens_details: flat objects
      if (is(b, ks, ke, K_SPLIT)) {
        split = true;
        S5 = 0;
        S1 = 0;
        ve = flatObject(b, vs, end, F_CACHE_CREATION);
      } else if (is(b, ks, ke, K_TOOLS)) {
        out.web = 0;
        ve = flatObject(b, vs, end, F_SERVER_TOOLS);
      } else ve = flatObject(b, vs, end, F_OTHER);
      if (ve < 0) return -1;
    } else {
      if (!scalar(b, vs, end)) return -1;
      ve = v.at;
      const c = count();
      if (is(b, ks, ke, K_INPUT)) {
        if (c < 0) return -1;
        out.input = c;
      } else if (is(b, ks, ke, K_OUTPUT)) {
        if (c < 0) return -1;
        out.output = c;
      } else if (is(b, ks, ke, K_WRITE)) {
        if (c < 0) return -1;
        aggregate = c;
      } else if (is(b, ks, ke, K_READ)) {
        if (c < 0) return -1;
        out.read = c;
      } else if (is(b, ks, ke, K_SPLIT)) {
        if (v.kind !== K_NULL) return -1;
        split = false;
      } else if (is(b, ks, ke, K_TOOLS)) {
        if (v.kind !== K_NULL) return -1;
        out.web = 0;
      } else if (is(b, ks, ke, K_TIER)) {
        const t = strIs(V_BATCH);
        if (t === undefined) return -1;
        out.batch = t;
      } else if (is(b, ks, ke, K_SPEED)) {
        const t = strIs(V_FAST);
        if (t === undefined) return -1;
        out.fast = t;
      } else if (is(b, ks, ke, K_GEO)) {
        // "" (what logs write) and null are the default geo
        if (v.kind === K_STR) out.geo = v.e > v.s ? b.toString('utf8', v.s, v.e) : null;
        else if (v.kind === K_NULL) out.geo = null;
        else return -1;
      } else if (is(b, ks, ke, K_STEPS)) {
        // an empty list or null bills no extra step; any step is read by JSON.parse
        if (v.kind !== K_EMPTY_LIST && v.kind !== K_NULL) return -1;
      }
    }
    i = ws(b, ve, end);
    if (b[i] === COMMA) i = ws(b, i + 1, end);
    else if (b[i] === RBRACE) {
      // tokenLines: without the TTL split the whole aggregate is a 5m write; a split short of it counts the rest as 5m
      let w5 = aggregate;
      let w1h = 0;
      if (split) {
        w5 = S5;
        w1h = S1;
        if (w5 + w1h < aggregate) w5 += aggregate - (w5 + w1h);
      }
      out.w5 = w5;
      out.w1h = w1h;
      return i + 1;
    } else return -1;
  }
  return -1;
}
