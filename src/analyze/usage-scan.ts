/**
 * The part of a `usage` object the record table keeps, read two ways that must agree: `usageFields` from a parsed
 * object (the reference: the cost engine's tokenLines and the table's rules), and `scanUsage` straight from the
 * bytes of a log line, without JSON.parse building the object. The scanner reads only the plain shape Claude Code
 * writes (integers, null, short unescaped strings, flat nested objects, an empty `iterations` list) and answers
 * false for anything else (a fraction, an exponent, an escape, extra billed steps, a value JSON.parse would reject),
 * so the caller parses that usage with JSON.parse. usage-scan.test.ts checks the two agree.
 */
import { tokenLines, type Usage } from '../pricing/usage.js';
import { COMMA, is, K_EMPTY_LIST, K_NULL, K_NUM, K_STR, keyAt, LBRACE, RBRACE, scalar, v, ws } from './json-bytes.js';

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
let AGG = 0;
let SPLIT = false;

/** Whether the string value is exactly `k` (null and other strings: false); undefined for any other kind. */
function strIs(k: Uint8Array): boolean | undefined {
  if (v.kind === K_STR) return is(B, v.s, v.e, k);
  if (v.kind === K_NULL) return false;
  return undefined;
}

// What a value is, by its key and where it sits: how `apply` reads it.
const T_OTHER = 0; // a key not read (any scalar, or [] at the top level)
const T_INPUT = 1;
const T_OUTPUT = 2;
const T_WRITE = 3;
const T_READ = 4;
const T_SPLIT_NULL = 5;
const T_TOOLS_NULL = 6;
const T_TIER = 7;
const T_SPEED = 8;
const T_GEO = 9;
const T_STEPS = 10;
const T_5M = 11;
const T_1H = 12;
const T_WEB = 13;
const T_NESTED_OTHER = 14; // a key of a nested object not read (any scalar but [])

/** The kind of the top-level key b[ks, ke) holding a scalar. */
function topField(ks: number, ke: number): number {
  const b = B;
  if (is(b, ks, ke, K_INPUT)) return T_INPUT;
  if (is(b, ks, ke, K_OUTPUT)) return T_OUTPUT;
  if (is(b, ks, ke, K_WRITE)) return T_WRITE;
  if (is(b, ks, ke, K_READ)) return T_READ;
  if (is(b, ks, ke, K_SPLIT)) return T_SPLIT_NULL;
  if (is(b, ks, ke, K_TOOLS)) return T_TOOLS_NULL;
  if (is(b, ks, ke, K_TIER)) return T_TIER;
  if (is(b, ks, ke, K_SPEED)) return T_SPEED;
  if (is(b, ks, ke, K_GEO)) return T_GEO;
  if (is(b, ks, ke, K_STEPS)) return T_STEPS;
  return T_OTHER;
}

const F_OTHER = 0;
const F_CACHE_CREATION = 1;
const F_SERVER_TOOLS = 2;

/** The kind of key b[ks, ke) inside a nested object of kind `which`. */
function nestedField(which: number, ks: number, ke: number): number {
  if (which === F_CACHE_CREATION) {
    if (is(B, ks, ke, K_5M)) return T_5M;
    if (is(B, ks, ke, K_1H)) return T_1H;
  } else if (which === F_SERVER_TOOLS && is(B, ks, ke, K_WEB)) return T_WEB;
  return T_NESTED_OTHER;
}

/** Reads the scalar in `v` as a value of kind `t`; false when it is not one JSON.parse would give that meaning. */
function apply(t: number): boolean {
  switch (t) {
    case T_OTHER:
      return true;
    case T_NESTED_OTHER:
      return v.kind !== K_EMPTY_LIST;
    case T_INPUT:
    case T_OUTPUT:
    case T_WRITE:
    case T_READ:
    case T_5M:
    case T_1H:
    case T_WEB: {
      const c = count();
      if (c < 0) return false;
      if (t === T_INPUT) OUT.input = c;
      else if (t === T_OUTPUT) OUT.output = c;
      else if (t === T_WRITE) AGG = c;
      else if (t === T_READ) OUT.read = c;
      else if (t === T_5M) S5 = c;
      else if (t === T_1H) S1 = c;
      else OUT.web = c;
      return true;
    }
    case T_SPLIT_NULL:
      if (v.kind !== K_NULL) return false;
      SPLIT = false;
      return true;
    case T_TOOLS_NULL:
      if (v.kind !== K_NULL) return false;
      OUT.web = 0;
      return true;
    case T_TIER: {
      const x = strIs(V_BATCH);
      if (x === undefined) return false;
      OUT.batch = x;
      return true;
    }
    case T_SPEED: {
      const x = strIs(V_FAST);
      if (x === undefined) return false;
      OUT.fast = x;
      return true;
    }
    case T_GEO:
      // "" (what logs write) and null are the default geo
      if (v.kind === K_STR) OUT.geo = v.e > v.s ? B.toString('utf8', v.s, v.e) : null;
      else if (v.kind === K_NULL) OUT.geo = null;
      else return false;
      return true;
    case T_STEPS:
      // an empty list or null bills no extra step; any step is read by JSON.parse
      return v.kind === K_EMPTY_LIST || v.kind === K_NULL;
  }
  return false;
}

/** Opening a nested object: what it resets. */
const E_NONE = 0;
const E_SPLIT = 1;
const E_TOOLS = 2;

function enter(e: number): void {
  if (e === E_SPLIT) {
    SPLIT = true;
    S5 = 0;
    S1 = 0;
  } else if (e === E_TOOLS) OUT.web = 0;
}

/**
 * The shape of the last usage object read key by key, to read the next one by: the bytes between values (keys,
 * punctuation, whitespace, braces of nested objects) and each value's kind. Claude Code writes every usage object
 * of a log in the same shape, so most are read by comparing those bytes and reading the values alone. Anything
 * that differs (a byte, a value of another kind) falls back to reading key by key.
 */
interface Template {
  readonly frags: Uint8Array[];
  readonly kinds: Int32Array;
  readonly enters: Int32Array;
  /** The bytes after the last value, through the closing brace. */
  readonly tail: Uint8Array;
}
let template: Template | null = null;
/** How many objects were read by the template (for tests). */
export const templateReads = { count: 0 };

/** Where each value of the object being read key by key started, its kind, and what opening it reset. */
let recording = true;
const recFrom: number[] = [];
const recAt: number[] = [];
const recKind: number[] = [];
const recEnter: number[] = [];
let recPrevEnd = 0;
let recPendingEnter = E_NONE;

function record(vs: number, ve: number, kind: number): void {
  recFrom.push(recPrevEnd);
  recAt.push(vs);
  recKind.push(kind);
  recEnter.push(recPendingEnter);
  recPendingEnter = E_NONE;
  recPrevEnd = ve;
}

function learn(b: Buffer, end: number): void {
  if (!recording || recFrom.length === 0) return;
  const frags: Uint8Array[] = [];
  for (let k = 0; k < recFrom.length; k++) frags.push(new Uint8Array(b.subarray(recFrom[k]!, recAt[k]!)));
  template = { frags, kinds: Int32Array.from(recKind), enters: Int32Array.from(recEnter), tail: new Uint8Array(b.subarray(recPrevEnd, end)) };
}

function same(b: Uint8Array, at: number, end: number, f: Uint8Array): boolean {
  if (at + f.length > end) return false;
  for (let x = 0; x < f.length; x++) if (b[at + x] !== f[x]) return false;
  return true;
}

/** Reads the object at b[i] by the template: the index after it, or -1 when it is not in the template's shape. */
function byTemplate(t: Template, b: Buffer, i: number, end: number): number {
  const { frags, kinds, enters } = t;
  let p = i;
  for (let k = 0; k < frags.length; k++) {
    const f = frags[k]!;
    if (!same(b, p, end, f)) return -1;
    p += f.length;
    enter(enters[k]!);
    if (!scalar(b, p, end) || !apply(kinds[k]!)) return -1;
    p = v.at;
  }
  if (!same(b, p, end, t.tail)) return -1;
  return p + t.tail.length;
}

/**
 * A flat object at i (values are scalars), of kind `which`: each value read by `apply`.
 * The index after the object, or -1.
 */
function flatObject(b: Uint8Array, i: number, end: number, which: number): number {
  i = ws(b, i + 1, end);
  if (b[i] === RBRACE) {
    recording = false; // an empty nested object leaves no value to hang its reset on: not a template
    return i + 1;
  }
  while (i < end) {
    if (!keyAt(b, i, end)) return -1;
    const ks = v.s;
    const ke = v.e;
    const vs = v.at;
    const kind = nestedField(which, ks, ke);
    if (!scalar(b, vs, end) || !apply(kind)) return -1;
    record(vs, v.at, kind);
    i = ws(b, v.at, end);
    if (b[i] === COMMA) i = ws(b, i + 1, end);
    else if (b[i] === RBRACE) return i + 1;
    else return -1;
  }
  return -1;
}

function reset(out: UsageFields): void {
  S5 = 0;
  S1 = 0;
  AGG = 0;
  SPLIT = false;
  out.input = 0;
  out.read = 0;
  out.output = 0;
  out.web = 0;
  out.batch = false;
  out.fast = false;
  out.geo = null;
}

/** tokenLines: without the TTL split the whole aggregate is a 5m write; a split short of it counts the rest as 5m. */
function finish(out: UsageFields): void {
  let w5 = AGG;
  let w1h = 0;
  if (SPLIT) {
    w5 = S5;
    w1h = S1;
    if (w5 + w1h < AGG) w5 += AGG - (w5 + w1h);
  }
  out.w5 = w5;
  out.w1h = w1h;
}

/**
 * Reads the usage object at b[i] (an opening brace) into `out` as `usageFields` would read JSON.parse's object.
 * The index after the object, or -1 when the object is not in the plain shape (the caller then uses JSON.parse).
 */
export function scanUsage(b: Buffer, i: number, end: number, out: UsageFields): number {
  B = b;
  OUT = out;
  if (template !== null) {
    reset(out);
    const at = byTemplate(template, b, i, end);
    if (at >= 0) {
      finish(out);
      templateReads.count++;
      return at;
    }
  }
  reset(out);
  recording = true;
  recFrom.length = 0;
  recAt.length = 0;
  recKind.length = 0;
  recEnter.length = 0;
  recPrevEnd = i;
  recPendingEnter = E_NONE;
  const at = byKeys(b, i, end);
  if (at < 0) return -1;
  finish(out);
  learn(b, at);
  return at;
}

/** The object read key by key (recording its shape): the index after it, or -1. */
function byKeys(b: Buffer, i: number, end: number): number {
  i = ws(b, i + 1, end);
  if (b[i] === RBRACE) {
    recording = false;
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
      let which = F_OTHER;
      if (is(b, ks, ke, K_SPLIT)) which = F_CACHE_CREATION;
      else if (is(b, ks, ke, K_TOOLS)) which = F_SERVER_TOOLS;
      recPendingEnter = which === F_CACHE_CREATION ? E_SPLIT : which === F_SERVER_TOOLS ? E_TOOLS : E_NONE;
      enter(recPendingEnter);
      ve = flatObject(b, vs, end, which);
      if (ve < 0) return -1;
    } else {
      if (!scalar(b, vs, end)) return -1;
      ve = v.at;
      const kind = topField(ks, ke);
      if (!apply(kind)) return -1;
      record(vs, ve, kind);
    }
    i = ws(b, ve, end);
    if (b[i] === COMMA) i = ws(b, i + 1, end);
    else if (b[i] === RBRACE) return i + 1;
    else return -1;
  }
  return -1;
}
