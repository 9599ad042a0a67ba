/**
 * The dedupe keys of a record table (message id + request id), as bytes in one arena with an open-addressing hash
 * index over them, instead of a Map of strings: a log line's key is looked up from the bytes it was read from, no
 * string is made for it, and a table's keys cross threads as one transferable buffer.
 *
 * A key is its bytes when every character is ASCII (then bytes and characters are the same), else a marker byte
 * (0xFF, never in ASCII) followed by the key's UTF-16 code units: two keys are the same bytes exactly when they are
 * the same string, whichever way the key arrived.
 */

/** The key being looked up or added: `bytes[start, start + len)`. One scratch object, filled by the `key...` functions (start 0). */
export interface Key {
  bytes: Uint8Array;
  start: number;
  len: number;
}

export const scratchKey: Key = { bytes: new Uint8Array(256), start: 0, len: 0 };

function room(k: Key, n: number): void {
  if (k.bytes.length < n) k.bytes = new Uint8Array(Math.max(n, k.bytes.length * 2));
}

/** Fills `k` with a key given as a string. */
export function keyFromString(s: string, k: Key = scratchKey): Key {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    room(k, s.length);
    for (let i = 0; i < s.length; i++) k.bytes[i] = s.charCodeAt(i);
    k.start = 0;
    k.len = s.length;
    return k;
  }
  room(k, 1 + 2 * s.length);
  k.bytes[0] = 0xff;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    k.bytes[1 + 2 * i] = c & 0xff;
    k.bytes[2 + 2 * i] = c >>> 8;
  }
  k.start = 0;
  k.len = 1 + 2 * s.length;
  return k;
}

/**
 * Fills `k` with the key `a` + NUL + `b` from raw (unescaped) string bytes b[as, ae) and b[bs, be) of a line;
 * false when a byte is not ASCII (the caller then decodes the strings and uses keyFromString).
 */
export function keyFromBytes(buf: Uint8Array, as: number, ae: number, bs: number, be: number, k: Key = scratchKey): boolean {
  const n = ae - as + 1 + (be - bs);
  room(k, n);
  const out = k.bytes;
  let j = 0;
  for (let i = as; i < ae; i++) {
    const c = buf[i]!;
    if (c > 127) return false;
    out[j++] = c;
  }
  out[j++] = 0;
  for (let i = bs; i < be; i++) {
    const c = buf[i]!;
    if (c > 127) return false;
    out[j++] = c;
  }
  k.start = 0;
  k.len = n;
  return true;
}

function hashOf(b: Uint8Array, s: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < s + len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h ^ (h >>> 15);
}

export class KeyIndex {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  /** Per entry: where its bytes start, how many, its hash, the row it names. */
  private start = new Int32Array(1024);
  private len = new Int32Array(1024);
  private hash = new Int32Array(1024);
  private rows = new Int32Array(1024);
  private n = 0;
  /** Entry + 1 per slot (0 = empty); a power of two, at most half full. */
  private slots = new Int32Array(2048);

  /** The hash of the key `find` looked up last (`add` reuses it). */
  private lastHash = 0;

  /** The row stored under key `k`, or -1. */
  find(k: Key): number {
    const h = hashOf(k.bytes, k.start, k.len);
    this.lastHash = h;
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]! - 1;
      if (e < 0) return -1;
      if (this.hash[e] === h && this.same(e, k)) return this.rows[e]!;
    }
  }

  private same(e: number, k: Key): boolean {
    const len = this.len[e]!;
    if (len !== k.len) return false;
    const a = this.arena;
    const s = this.start[e]!;
    const b = k.bytes;
    const ks = k.start;
    for (let i = 0; i < len; i++) if (a[s + i] !== b[ks + i]) return false;
    return true;
  }

  /** Adds key `k` (just looked up with `find`, not found) for `row`; its entry. */
  add(k: Key, row: number): number {
    const e = this.n++;
    if (e === this.start.length) this.growEntries();
    if (this.used + k.len > this.arena.length) {
      let size = this.arena.length * 2;
      while (size < this.used + k.len) size *= 2;
      const a = new Uint8Array(size);
      a.set(this.arena.subarray(0, this.used));
      this.arena = a;
    }
    // a byte loop: keys are short, and a subarray + set per key costs more than the copy
    const arena = this.arena;
    const b = k.bytes;
    for (let x = 0, from = k.start, to = this.used; x < k.len; x++) arena[to + x] = b[from + x]!;
    this.start[e] = this.used;
    this.len[e] = k.len;
    this.used += k.len;
    this.hash[e] = this.lastHash;
    this.rows[e] = row;
    if (this.n * 2 > this.slots.length) this.rehash();
    else this.place(e);
    return e;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = this.hash[e]! & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = e + 1;
  }

  private growEntries(): void {
    const n = this.start.length * 2;
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.start = grow(this.start);
    this.len = grow(this.len);
    this.hash = grow(this.hash);
    this.rows = grow(this.rows);
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let e = 0; e < this.n; e++) this.place(e);
  }

  /** The keys of entries `entries[0, n)` (-1: no key) back to back, and each one's length (-1 for none): to send to another thread. */
  serialize(entries: Int32Array, n: number): { keyBytes: ArrayBuffer; keyLens: ArrayBuffer } {
    const lens = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      lens[i] = e < 0 ? -1 : this.len[e]!;
      if (e >= 0) total += this.len[e]!;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      if (e < 0) continue;
      bytes.set(this.bytesOf(e), at);
      at += this.len[e]!;
    }
    return { keyBytes: bytes.buffer, keyLens: lens.buffer };
  }

  /** Entry e's key bytes (a view into the arena). */
  bytesOf(e: number): Uint8Array {
    return this.arena.subarray(this.start[e]!, this.start[e]! + this.len[e]!);
  }
}
