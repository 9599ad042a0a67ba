/**
 * Records held in columns (typed arrays plus interned strings), not as objects: a scan of a few hundred thousand
 * log lines keeps no parsed JSON alive, so the garbage collector stays out of the way and memory stays small.
 * A table can be built in a worker thread and sent back with its buffers transferred.
 *
 * Dedupe: `add` with a key (message id + request id) keeps one row per key; of two rows with the same key the one
 * with more output tokens wins (usage only grows while a response streams, so the larger count is the final one).
 */
import type { TokenLines, Usage, UsageIteration } from '../pricing/usage.js';
import type { AnalyzeRecord } from './record.js';
import { KeyIndex, keyFromString, type Key } from './key-index.js';
import { newUsageFields, usageFields, type UsageFields } from './usage-scan.js';
import {
  F_BATCH, F_DEFERRABLE, F_FAST, F_STEPS, GEO, IDS, INPUT, KEY, MAXTOK, MODEL, NUMS, OUTPUT, PROJECT, READ, SESSION, STOP, TS, W1H, W5, WEB,
  type Extra, type SerializedTable,
} from './record-columns.js';

export type { SerializedTable } from './record-columns.js';

const NO_STEPS: readonly UsageIteration[] = Object.freeze([]);

export class RecordTable {
  size = 0;
  duplicates = 0;
  private nums = new Float64Array(NUMS * 1024);
  private ids = new Int32Array(IDS * 1024);
  private flags = new Uint8Array(1024);
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly extra = new Map<number, Extra>();
  private readonly index = new KeyIndex();
  /** Each row's entry in the key index, -1 for a row without a key. */
  private keyEntry = new Int32Array(1024);

  /** Last string interned per column: consecutive rows mostly repeat the model, session and project. */
  private readonly last: (string | null)[] = new Array<string | null>(IDS).fill(null);
  private readonly lastId = new Int32Array(IDS).fill(-1);

  private internAt(col: number, s: string | null): number {
    if (s === null) return -1;
    if (s === this.last[col]) return this.lastId[col] ?? -1;
    const id = this.intern(s);
    this.last[col] = s;
    this.lastId[col] = id;
    return id;
  }

  intern(s: string | null): number {
    if (s === null) return -1;
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  str(id: number): string | null {
    return id < 0 ? null : (this.strings[id] ?? null);
  }

  private grow(min = 0): void {
    let cap = this.flags.length * 2;
    while (cap < min) cap *= 2;
    const nums = new Float64Array(NUMS * cap);
    nums.set(this.nums);
    const ids = new Int32Array(IDS * cap);
    ids.set(this.ids);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    const keyEntry = new Int32Array(cap);
    keyEntry.set(this.keyEntry);
    this.keyEntry = keyEntry;
    this.nums = nums;
    this.ids = ids;
    this.flags = flags;
  }

  /** Adds a row; with a key, a second row with the same key replaces the first only if it has more output. */
  add(r: AnalyzeRecord, key: string | null = null): void {
    const u = r.usage;
    const hasSteps = Array.isArray(u.iterations) && u.iterations.some((it) => it && it.type !== 'message');
    this.addParts(key === null ? null : keyFromString(key), r.ts, r.model, r.session, r.project, r.stopReason, r.tags, usageFields(u, this.scratch), hasSteps ? u : null, r.key, r.maxTokens, r.deferrable, r.body ?? null);
  }

  private readonly scratch = newUsageFields();
  /** The last Extra made for tags alone: rows sharing the same tags object share it. */
  private lastTags: Readonly<Record<string, string>> | null = null;
  private lastTagsExtra: Extra | null = null;

  /**
   * `add` from the parts of a record, as the Claude Code scanner reads them (no record or usage object): `u` as
   * usageFields reads the usage, and the whole usage object only when it has extra billed steps.
   */
  addParts(
    key: Key | null,
    ts: number,
    model: string,
    session: string | null,
    project: string | null,
    stopReason: string | null,
    tags: Readonly<Record<string, string>> | null,
    u: UsageFields,
    steps: Usage | null,
    apiKey: string | null = null,
    maxTokens: number | null = null,
    deferrable = false,
    body: Readonly<Record<string, unknown>> | null = null,
  ): void {
    let row = this.size;
    if (key !== null) {
      const at = this.index.find(key);
      if (at >= 0) {
        this.duplicates++;
        if (u.output <= (this.nums[at * NUMS + OUTPUT] ?? 0)) return;
        row = at;
        this.extra.delete(row);
      }
    }
    if (row === this.size) {
      if (this.size === this.flags.length) this.grow();
      this.keyEntry[row] = key === null ? -1 : this.index.add(key, row);
      this.size++;
    }
    const o = row * NUMS;
    const nums = this.nums;
    nums[o + TS] = ts;
    nums[o + INPUT] = u.input;
    nums[o + W5] = u.w5;
    nums[o + W1H] = u.w1h;
    nums[o + READ] = u.read;
    nums[o + OUTPUT] = u.output;
    nums[o + WEB] = u.web;
    nums[o + MAXTOK] = maxTokens ?? -1;
    const s = row * IDS;
    const ids = this.ids;
    ids[s + MODEL] = this.internAt(MODEL, model);
    ids[s + SESSION] = this.internAt(SESSION, session);
    ids[s + PROJECT] = this.internAt(PROJECT, project);
    ids[s + STOP] = this.internAt(STOP, stopReason);
    ids[s + KEY] = this.internAt(KEY, apiKey);
    ids[s + GEO] = this.internAt(GEO, u.geo);
    this.flags[row] = (u.batch ? F_BATCH : 0) | (u.fast ? F_FAST : 0) | (deferrable ? F_DEFERRABLE : 0) | (steps ? F_STEPS : 0);
    if (steps || body) {
      if (body) this.bodies++;
      this.extra.set(row, { ...(steps ? { usage: steps } : {}), ...(tags ? { tags } : {}), ...(body ? { body } : {}) });
    } else if (tags) {
      if (tags !== this.lastTags) {
        this.lastTags = tags;
        this.lastTagsExtra = { tags };
      }
      this.extra.set(row, this.lastTagsExtra!);
    }
  }

  /**
   * The columns themselves (rows at stride NUMS and IDS, offsets exported above), for a loop that passes over every
   * row once: while such code is still cold, a method call per field costs more than the work.
   */
  columns(): { readonly nums: Float64Array; readonly ids: Int32Array; readonly flags: Uint8Array } {
    return { nums: this.nums, ids: this.ids, flags: this.flags };
  }
  /** The interned id of a string, -1 when no row has it. */
  idOf(s: string): number {
    return this.stringIds.get(s) ?? -1;
  }
  /** Whether any row has a request body. */
  get hasBodies(): boolean {
    return this.bodies > 0;
  }
  private bodies = 0;

  ts(i: number): number {
    return this.nums[i * NUMS + TS] ?? 0;
  }
  /** Interned ids (same string, same id; `str(id)` gives it back): cheap to compare row against row. */
  modelId(i: number): number {
    return this.ids[i * IDS + MODEL] ?? -1;
  }
  geoId(i: number): number {
    return this.ids[i * IDS + GEO] ?? -1;
  }
  input(i: number): number {
    return this.nums[i * NUMS + INPUT] ?? 0;
  }
  write5m(i: number): number {
    return this.nums[i * NUMS + W5] ?? 0;
  }
  write1h(i: number): number {
    return this.nums[i * NUMS + W1H] ?? 0;
  }
  read(i: number): number {
    return this.nums[i * NUMS + READ] ?? 0;
  }
  /** Whether row i has extra billed steps (compaction iterations): its usage is kept whole. */
  hasSteps(i: number): boolean {
    return ((this.flags[i] ?? 0) & F_STEPS) !== 0;
  }
  output(i: number): number {
    return this.nums[i * NUMS + OUTPUT] ?? 0;
  }
  /** Total prompt tokens the request read: uncached input + cache writes + cache reads. */
  prompt(i: number): number {
    const o = i * NUMS;
    const a = this.nums;
    return (a[o + INPUT] ?? 0) + (a[o + W5] ?? 0) + (a[o + W1H] ?? 0) + (a[o + READ] ?? 0);
  }
  model(i: number): string {
    return this.str(this.ids[i * IDS + MODEL] ?? -1) ?? '';
  }
  session(i: number): string | null {
    return this.str(this.ids[i * IDS + SESSION] ?? -1);
  }
  sessionId(i: number): number {
    return this.ids[i * IDS + SESSION] ?? -1;
  }
  stopReason(i: number): string | null {
    return this.str(this.ids[i * IDS + STOP] ?? -1);
  }
  project(i: number): string | null {
    return this.str(this.ids[i * IDS + PROJECT] ?? -1);
  }
  keyOf(i: number): string | null {
    return this.str(this.ids[i * IDS + KEY] ?? -1);
  }
  tags(i: number): Readonly<Record<string, string>> | null {
    return this.extra.get(i)?.tags ?? null;
  }
  body(i: number): Readonly<Record<string, unknown>> | null {
    return this.extra.get(i)?.body ?? null;
  }
  /** Top-level token lines (extra steps such as compaction are only in `usage(i)`). */
  lines(i: number): TokenLines {
    const o = i * NUMS;
    const a = this.nums;
    return { input: a[o + INPUT] ?? 0, cache_write_5m: a[o + W5] ?? 0, cache_write_1h: a[o + W1H] ?? 0, cache_read: a[o + READ] ?? 0, output: a[o + OUTPUT] ?? 0 };
  }
  batch(i: number): boolean {
    return ((this.flags[i] ?? 0) & F_BATCH) !== 0;
  }
  fast(i: number): boolean {
    return ((this.flags[i] ?? 0) & F_FAST) !== 0;
  }
  geo(i: number): string | null {
    return this.str(this.ids[i * IDS + GEO] ?? -1);
  }
  webSearches(i: number): number {
    return this.nums[i * NUMS + WEB] ?? 0;
  }
  /** Extra billed steps (compaction iterations) of row i; empty for almost every row. */
  steps(i: number): readonly UsageIteration[] {
    const u = this.extra.get(i)?.usage;
    return u?.iterations ? u.iterations.filter((it) => it && it.type !== 'message') : NO_STEPS;
  }
  deferrable(i: number): boolean {
    return ((this.flags[i] ?? 0) & F_DEFERRABLE) !== 0;
  }

  /** The usage object for row i (rebuilt from the columns unless the row kept its original for extra steps). */
  usage(i: number): Usage {
    const x = this.extra.get(i);
    if (x?.usage) return x.usage;
    const o = i * NUMS;
    const a = this.nums;
    const f = this.flags[i] ?? 0;
    const w5 = a[o + W5] ?? 0;
    const w1 = a[o + W1H] ?? 0;
    const geo = this.str(this.ids[i * IDS + GEO] ?? -1);
    return {
      input_tokens: a[o + INPUT] ?? 0,
      output_tokens: a[o + OUTPUT] ?? 0,
      cache_creation_input_tokens: w5 + w1,
      cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
      cache_read_input_tokens: a[o + READ] ?? 0,
      server_tool_use: { web_search_requests: a[o + WEB] ?? 0 },
      ...(f & F_BATCH ? { service_tier: 'batch' } : {}),
      ...(f & F_FAST ? { speed: 'fast' } : {}),
      ...(geo ? { inference_geo: geo } : {}),
    };
  }

  record(i: number): AnalyzeRecord {
    const x = this.extra.get(i);
    const mt = this.nums[i * NUMS + MAXTOK] ?? -1;
    return {
      ts: this.ts(i),
      model: this.model(i),
      usage: this.usage(i),
      session: this.session(i),
      project: this.str(this.ids[i * IDS + PROJECT] ?? -1),
      key: this.str(this.ids[i * IDS + KEY] ?? -1),
      tags: x?.tags ?? null,
      stopReason: this.stopReason(i),
      maxTokens: mt >= 0 ? mt : null,
      deferrable: this.deferrable(i),
      ...(x?.body ? { body: x.body } : {}),
    };
  }

  /** For transfer out of a worker (the ArrayBuffers can be listed as transferables). */
  serialize(): SerializedTable {
    return {
      size: this.size,
      duplicates: this.duplicates,
      nums: this.nums.slice(0, this.size * NUMS).buffer,
      ids: this.ids.slice(0, this.size * IDS).buffer,
      flags: this.flags.slice(0, this.size).buffer,
      strings: this.strings,
      ...this.index.serialize(this.keyEntry, this.size),
      extra: [...this.extra],
    };
  }

  /** Appends a serialized table's rows, deduping against the rows already here. */
  merge(t: SerializedTable): void {
    const nums = new Float64Array(t.nums);
    const ids = new Int32Array(t.ids);
    const flags = new Uint8Array(t.flags);
    const lens = new Int32Array(t.keyLens);
    // Strings are interned as the rows that use them are kept (not all up front): the ids come out as if every
    // row had been added here one by one, whichever thread read which file.
    const remap = new Int32Array(t.strings.length).fill(-2);
    const extra = new Map(t.extra);
    this.duplicates += t.duplicates;
    if (this.size + t.size > this.flags.length) this.grow(this.size + t.size);
    const into = this.nums;
    const intoIds = this.ids;
    const keyBytes = new Uint8Array(t.keyBytes);
    const key: Key = { bytes: keyBytes, start: 0, len: 0 };
    let at = 0;
    for (let i = 0; i < t.size; i++) {
      const len = lens[i] ?? -1;
      if (len >= 0) {
        key.start = at;
        key.len = len;
        at += len;
      }
      const output = nums[i * NUMS + OUTPUT] ?? 0;
      let row = this.size;
      if (len >= 0) {
        const prev = this.index.find(key);
        if (prev >= 0) {
          this.duplicates++;
          if (output <= (into[prev * NUMS + OUTPUT] ?? 0)) continue;
          row = prev;
          this.extra.delete(row);
        }
      }
      if (row === this.size) {
        this.keyEntry[row] = len < 0 ? -1 : this.index.add(key, row);
        this.size++;
      }
      for (let c = 0; c < NUMS; c++) into[row * NUMS + c] = nums[i * NUMS + c] ?? 0;
      for (let c = 0; c < IDS; c++) {
        const id = ids[i * IDS + c] ?? -1;
        let to = -1;
        if (id >= 0) {
          to = remap[id]!;
          if (to === -2) remap[id] = to = this.intern(t.strings[id] ?? null);
        }
        intoIds[row * IDS + c] = to;
      }
      this.flags[row] = flags[i] ?? 0;
      const x = extra.get(i);
      if (x) {
        if (x.body) this.bodies++;
        this.extra.set(row, x);
      }
    }
  }
}
