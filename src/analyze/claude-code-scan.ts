/**
 * A targeted scanner for Claude Code log lines: reads the few fields a billed line needs (type, timestamp,
 * requestId, sessionId, isSidechain, and message.id / model / stop_reason / usage) straight from the bytes, without
 * decoding the line to a string or building the objects JSON.parse would (the message content is most of a line
 * and is only stepped over). The `usage` object is read by usage-scan.ts when it is in the plain shape Claude Code
 * writes, else handed to JSON.parse alone, so what is kept of it is exactly what parsing the whole line would give.
 *
 * It answers `null` whenever the line is not in the plain shape it knows (a key written with escapes, a field of an
 * unexpected type, a repeated `message`, brackets that do not balance, anything after the closing brace); the
 * caller then parses the line with JSON.parse, which also reports the malformed ones. Skipped values are checked
 * for structure (strings closed, brackets balanced), not character by character.
 */

import { newUsageFields, scanUsage, type UsageFields } from './usage-scan.js';

/** The fields of a billed line, as JSON.parse of the whole line would have given them (undefined when absent). */
export interface LineFields {
  type: unknown;
  /** The timestamp as JSON.parse gives it... */
  ts: unknown;
  /** ...or, read from the bytes, what Date.parse would make of it (null when it was not read so). */
  tsMs: number | null;
  /** The request id as JSON.parse gives it, unless read as raw bytes: b[reqAt, reqEnd) (reqAt -1 when not). */
  requestId: unknown;
  reqAt: number;
  reqEnd: number;
  sessionId: unknown;
  sidechain: boolean;
  /** message.id, the same way: b[msgAt, msgEnd) when read as raw bytes. */
  msgId: unknown;
  msgAt: number;
  msgEnd: number;
  model: unknown;
  stop: unknown;
  /** The usage object, when it was parsed with JSON.parse (not in the plain shape `scanUsage` reads)... */
  usage: unknown;
  /** ...or what the table keeps of it, read from the bytes (valid until the next line is scanned). */
  fields: UsageFields | null;
}

/** The usage fields of the line scanned last (one object, reused). */
const scanned = newUsageFields();

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

const key = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_TYPE = key('type');
const K_TIMESTAMP = key('timestamp');
const K_REQUEST_ID = key('requestId');
const K_SESSION_ID = key('sessionId');
const K_SIDECHAIN = key('isSidechain');
const K_MESSAGE = key('message');
const K_ID = key('id');
const K_MODEL = key('model');
const K_STOP = key('stop_reason');
const K_USAGE = key('usage');

function ws(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  return i;
}

/** Set by `skipString`: whether the string just skipped held a backslash escape. */
let escaped = false;

/** `b[i]` is an opening quote: the index after the closing one, or -1. Short strings byte by byte (keys, ids)... */
function skipString(b: Buffer, i: number, end: number): number {
  escaped = false;
  const stop = Math.min(end, i + 48);
  for (let j = i + 1; j < stop; j++) {
    const c = b[j]!;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      escaped = true;
      j++;
    } else if (c < 32) return -1; // control characters must be escaped in JSON strings
  }
  return skipLong(b, i, end);
}

/**
 * ...and long ones (message text) with the native search for the next quote no backslash escapes. A long string
 * counts as escaped (a field read from it is decoded by JSON.parse) and its characters are not checked one by one.
 */
function skipLong(b: Buffer, i: number, end: number): number {
  escaped = true;
  let from = i + 1;
  while (true) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0 || q >= end) return -1;
    let k = q - 1;
    while (b[k] === BACKSLASH) k--;
    if (((q - 1 - k) & 1) === 0) return q + 1;
    from = q + 1;
  }
}

/** The index after the value starting at `i` (a string, object, array or scalar), or -1. */
function skipValue(b: Buffer, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const d = b[j]!;
      if (d === QUOTE) {
        j = skipString(b, j, end);
        if (j < 0) return -1;
        j--;
      } else if (d === LBRACE || d === LBRACKET) depth++;
      else if (d === RBRACE || d === RBRACKET) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // a scalar: number, true, false or null
  if (c === undefined || !((c >= 48 && c <= 57) || c === 45 || c === 116 || c === 102 || c === 110)) return -1;
  let j = i + 1;
  while (j < end) {
    const d = b[j]!;
    if (d === COMMA || d === RBRACE || d === RBRACKET || d === 32 || d === 10 || d === 13 || d === 9) break;
    j++;
  }
  return j;
}

function is(b: Uint8Array, start: number, end: number, k: Uint8Array): boolean {
  if (end - start !== k.length) return false;
  for (let x = 0; x < k.length; x++) if (b[start + x] !== k[x]) return false;
  return true;
}

/** The string value at [i, j) (quotes included), or undefined when the value is not a string (caller falls back). */
function stringAt(b: Buffer, i: number, j: number, hadEscape: boolean): string | undefined {
  if (b[i] !== QUOTE) return undefined;
  if (hadEscape) return JSON.parse(b.toString('utf8', i, j)) as string;
  return b.toString('utf8', i + 1, j - 1);
}

/** The last string decoded for a field that mostly repeats line after line (type, model, session id), with its bytes. */
interface Last {
  bytes: Uint8Array;
  str: string;
}
const lastType: Last = { bytes: new Uint8Array(0), str: '' };
const lastModel: Last = { bytes: new Uint8Array(0), str: '' };
const lastSession: Last = { bytes: new Uint8Array(0), str: '' };
const lastStop: Last = { bytes: new Uint8Array(0), str: '' };

/** As `stringAt`, reusing the string decoded last time when the bytes are the same. */
function repeatedAt(b: Buffer, i: number, j: number, hadEscape: boolean, last: Last): string | undefined {
  if (b[i] !== QUOTE || hadEscape) return stringAt(b, i, j, hadEscape);
  const len = j - i - 2;
  const prev = last.bytes;
  if (prev.length === len) {
    let same = true;
    for (let x = 0; x < len; x++) {
      if (prev[x] !== b[i + 1 + x]) {
        same = false;
        break;
      }
    }
    if (same) return last.str;
  }
  last.bytes = new Uint8Array(b.subarray(i + 1, j - 1)); // a copy: the read buffer is reused
  last.str = b.toString('utf8', i + 1, j - 1);
  return last.str;
}

/** Reads `message`'s fields into `f`; the index after the object, or -1. */
function scanMessage(b: Buffer, i: number, end: number, f: LineFields): number {
  i = ws(b, i + 1, end);
  if (b[i] === RBRACE) return i + 1;
  while (i < end) {
    if (b[i] !== QUOTE) return -1;
    const ke = skipString(b, i, end);
    if (ke < 0 || escaped) return -1;
    const ks = i + 1;
    const kEnd = ke - 1;
    i = ws(b, ke, end);
    if (b[i] !== COLON) return -1;
    const vs = ws(b, i + 1, end);
    const len = kEnd - ks;
    if (len === 5 && b[vs] === LBRACE && is(b, ks, kEnd, K_USAGE)) {
      // the usage object, read from the bytes when it is in the plain shape (and then not stepped over first)
      const ue = scanUsage(b, vs, end, scanned);
      if (ue >= 0) {
        f.usage = undefined;
        f.fields = scanned;
        i = ws(b, ue, end);
        if (b[i] === COMMA) i = ws(b, i + 1, end);
        else if (b[i] === RBRACE) return i + 1;
        else return -1;
        continue;
      }
    }
    const ve = skipValue(b, vs, end);
    if (ve < 0) return -1;
    const esc = escaped;
    if (len === 2 && is(b, ks, kEnd, K_ID)) {
      // kept as bytes when plain: the dedupe key is made from them (key-index.ts), no string needed
      if (b[vs] === QUOTE && !esc) {
        f.msgId = undefined;
        f.msgAt = vs + 1;
        f.msgEnd = ve - 1;
      } else {
        if ((f.msgId = stringAt(b, vs, ve, esc)) === undefined) return -1;
        f.msgAt = -1;
      }
    } else if (len === 5 && is(b, ks, kEnd, K_MODEL)) {
      if ((f.model = repeatedAt(b, vs, ve, esc, lastModel)) === undefined) return -1;
    } else if (len === 11 && is(b, ks, kEnd, K_STOP)) {
      // stop_reason is null while a response streams
      if (b[vs] === 110) f.stop = null;
      else if ((f.stop = repeatedAt(b, vs, ve, esc, lastStop)) === undefined) return -1;
    } else if (len === 5 && is(b, ks, kEnd, K_USAGE)) {
      if (b[vs] !== LBRACE) return -1;
      try {
        f.usage = JSON.parse(b.toString('utf8', vs, ve));
      } catch {
        return -1;
      }
      f.fields = null;
    }
    i = ws(b, ve, end);
    if (b[i] === COMMA) i = ws(b, i + 1, end);
    else if (b[i] === RBRACE) return i + 1;
    else return -1;
  }
  return -1;
}

/** The fields of the line scanned last (one object, reused: valid until the next line is scanned). */
const line: LineFields = { type: undefined, ts: undefined, tsMs: null, requestId: undefined, reqAt: -1, reqEnd: -1, sessionId: undefined, sidechain: false, msgId: undefined, msgAt: -1, msgEnd: -1, model: undefined, stop: undefined, usage: undefined, fields: null };

const digit = (c: number | undefined): number => (c !== undefined && c >= 48 && c <= 57 ? c - 48 : -1);
function digits(b: Buffer, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digit(b[i + k]);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Date.parse of the timestamp in b[s, e), for the one form Claude Code writes ("2026-11-17T10:00:00.000Z", or
 * without the milliseconds) with every field in the range where Date.UTC gives what Date.parse gives (a year
 * from 1000, days up to the 28th: Date.parse rolls a 30 February over); null for anything else, which the caller
 * then hands to Date.parse.
 */
export function isoMs(b: Buffer, s: number, e: number): number | null {
  const n = e - s;
  if (n !== 24 && n !== 20) return null;
  if (b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 10] !== 84 || b[s + 13] !== COLON || b[s + 16] !== COLON || b[e - 1] !== 90) return null;
  const y = digits(b, s, 4);
  const mo = digits(b, s + 5, 2);
  const d = digits(b, s + 8, 2);
  const h = digits(b, s + 11, 2);
  const mi = digits(b, s + 14, 2);
  const sec = digits(b, s + 17, 2);
  let ms = 0;
  if (n === 24) {
    if (b[s + 19] !== 46) return null;
    ms = digits(b, s + 20, 3);
  }
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 28 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) return null;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

/**
 * The fields of the JSON object line at b[start, end), or null when the line is not in the plain shape this
 * scanner reads (the caller then uses JSON.parse). A line without a `message` object also answers null.
 */
export function scanLine(b: Buffer, start: number, end: number): LineFields | null {
  const f = line;
  f.type = undefined;
  f.ts = undefined;
  f.tsMs = null;
  f.requestId = undefined;
  f.reqAt = -1;
  f.sessionId = undefined;
  f.sidechain = false;
  f.msgId = undefined;
  f.msgAt = -1;
  f.model = undefined;
  f.stop = undefined;
  f.usage = undefined;
  f.fields = null;
  let message = false;
  let i = ws(b, start, end);
  if (b[i] !== LBRACE) return null;
  i = ws(b, i + 1, end);
  if (b[i] === RBRACE) return null;
  while (i < end) {
    if (b[i] !== QUOTE) return null;
    const ke = skipString(b, i, end);
    if (ke < 0 || escaped) return null;
    const ks = i + 1;
    const kEnd = ke - 1;
    const len = kEnd - ks;
    i = ws(b, ke, end);
    if (b[i] !== COLON) return null;
    const vs = ws(b, i + 1, end);
    let ve: number;
    if (len === 7 && is(b, ks, kEnd, K_MESSAGE)) {
      if (message || b[vs] !== LBRACE) return null;
      message = true;
      ve = scanMessage(b, vs, end, f);
      if (ve < 0) return null;
    } else {
      ve = skipValue(b, vs, end);
      if (ve < 0) return null;
      const esc = escaped;
      if (len === 4 && is(b, ks, kEnd, K_TYPE)) {
        if ((f.type = repeatedAt(b, vs, ve, esc, lastType)) === undefined) return null;
      } else if (len === 9 && is(b, ks, kEnd, K_TIMESTAMP)) {
        const ms = b[vs] === QUOTE && !esc ? isoMs(b, vs + 1, ve - 1) : null;
        if (ms !== null) {
          f.tsMs = ms;
          f.ts = undefined;
        } else {
          if ((f.ts = stringAt(b, vs, ve, esc)) === undefined) return null;
          f.tsMs = null;
        }
      } else if (len === 9 && is(b, ks, kEnd, K_REQUEST_ID)) {
        if (b[vs] === QUOTE && !esc) {
          f.requestId = undefined;
  f.reqAt = -1;
          f.reqAt = vs + 1;
          f.reqEnd = ve - 1;
        } else {
          if ((f.requestId = stringAt(b, vs, ve, esc)) === undefined) return null;
          f.reqAt = -1;
        }
      } else if (len === 9 && is(b, ks, kEnd, K_SESSION_ID)) {
        if ((f.sessionId = repeatedAt(b, vs, ve, esc, lastSession)) === undefined) return null;
      } else if (len === 11 && is(b, ks, kEnd, K_SIDECHAIN)) {
        f.sidechain = ve - vs === 4 && b[vs] === 116 && b[vs + 1] === 114 && b[vs + 2] === 117 && b[vs + 3] === 101;
      }
    }
    i = ws(b, ve, end);
    if (b[i] === COMMA) i = ws(b, i + 1, end);
    else if (b[i] === RBRACE) return message && ws(b, i + 1, end) === end ? f : null;
    else return null;
  }
  return null;
}
