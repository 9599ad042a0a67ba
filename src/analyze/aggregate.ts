/**
 * Spend over a RecordTable: every row priced once through the cost engine, summed into totals and into groups (by
 * day, week, month, model, session, project, key or tag), plus cache hit rate, cache writes never read,
 * truncations and top sessions. Models the catalog does not know are listed with their tokens, never priced as 0.
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import { CostError, priceResolved, ZERO_BREAKDOWN, type CostBreakdown, type PricedUsage } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import type { TokenLines } from '../pricing/usage.js';
import { linearPricing, usageOf, writePremium, type ClassSum, type PriceClass } from './price-class.js';
import { wastedWrites } from './wasted-writes.js';
import { F_BATCH, F_FAST, F_STEPS, GEO, IDS, INPUT, MODEL, NUMS, OUTPUT, READ, SESSION, STOP, TS, W1H, W5, WEB } from './record-columns.js';
import type { RecordTable } from './record-table.js';
import { sessionRuns, type SessionRuns } from './sessions.js';

export const GROUP_BY = ['day', 'week', 'month', 'model', 'session', 'project', 'key', 'tag'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface Bucket {
  readonly key: string;
  requests: number;
  cost: Pico;
  breakdown: CostBreakdown;
  /** Tokens by billing line, extra steps (compaction iterations) included. */
  readonly tokens: TokenLines;
  webSearches: number;
  /** Responses that stopped at max_tokens. */
  truncations: number;
  /** Cache-write tokens no later request of the session read within the entry's TTL. */
  wastedWriteTokens: number;
  /** What those writes cost above sending the same tokens uncached. */
  wastedWritePremium: Pico;
}

export interface UnknownModel {
  readonly model: string;
  requests: number;
  readonly tokens: TokenLines;
}

export interface PriceFailure {
  readonly model: string;
  readonly message: string;
  requests: number;
}

export interface Aggregate {
  readonly totals: Bucket;
  readonly by: GroupBy;
  readonly groups: Bucket[];
  readonly byDay: Bucket[];
  readonly byModel: Bucket[];
  readonly topSessions: Bucket[];
  readonly unknownModels: UnknownModel[];
  readonly priceFailures: PriceFailure[];
  readonly first: number | null;
  readonly last: number | null;
  /** Rows priced (inside the period, known model) and their models: the what-if replay's input. */
  readonly rows: number[];
  /** The catalog model of each priced row, by row index (undefined for rows not priced). */
  readonly rowModel: readonly (CatalogModel | undefined)[];
  readonly sessions: SessionRuns;
}

export interface AggregateOptions {
  readonly by?: GroupBy;
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, exclusive. */
  readonly until?: number;
  readonly topSessions?: number;
}

const zeroLines = (): TokenLines => ({ input: 0, cache_write_5m: 0, cache_write_1h: 0, cache_read: 0, output: 0 });

export function newBucket(key: string): Bucket {
  return { key, requests: 0, cost: 0n, breakdown: { ...ZERO_BREAKDOWN }, tokens: zeroLines(), webSearches: 0, truncations: 0, wastedWriteTokens: 0, wastedWritePremium: 0n };
}

function addInto(into: CostBreakdown, b: CostBreakdown): void {
  into.input += b.input;
  into.cache_write_5m += b.cache_write_5m;
  into.cache_write_1h += b.cache_write_1h;
  into.cache_read += b.cache_read;
  into.output += b.output;
  into.server_tools += b.server_tools;
}

function addLines(into: TokenLines, l: TokenLines): void {
  into.input += l.input;
  into.cache_write_5m += l.cache_write_5m;
  into.cache_write_1h += l.cache_write_1h;
  into.cache_read += l.cache_read;
  into.output += l.output;
}

function addBucket(into: Bucket, b: Bucket): void {
  into.requests += b.requests;
  into.cost += b.cost;
  addInto(into.breakdown, b.breakdown);
  addLines(into.tokens, b.tokens);
  into.webSearches += b.webSearches;
  into.truncations += b.truncations;
  into.wastedWriteTokens += b.wastedWriteTokens;
  into.wastedWritePremium += b.wastedWritePremium;
}

/** Rows with the same day, model, session and group keys: summed together, then added to each of their buckets. */
interface Cell {
  readonly day: string;
  readonly model: string;
  readonly session: string;
  readonly group: string;
  readonly keys: readonly string[];
  readonly acc: Bucket;
  readonly sums: ClassSum[];
}

/** Cache hit rate weighted by tokens: read / (read + write + uncached input); null when there was no input. */
export function cacheHitRate(t: TokenLines): number | null {
  const all = t.cache_read + t.cache_write_5m + t.cache_write_1h + t.input;
  return all > 0 ? t.cache_read / all : null;
}

const DAY = 86_400_000;
const dayNames = new Map<number, string>();
/** The UTC date of an epoch-ms time, "2026-11-17" (memoised per day: called for every row). */
let lastDay = NaN;
let lastDayName = '';
export function dayKey(ts: number): string {
  const d = Math.floor(ts / DAY);
  if (d === lastDay) return lastDayName;
  lastDay = d;
  let s = dayNames.get(d);
  if (s === undefined) dayNames.set(d, (s = new Date(d * DAY).toISOString().slice(0, 10)));
  lastDayName = s;
  return s;
}
/** ISO week, named by its Monday (UTC). */
export function weekKey(ts: number): string {
  const d = Math.floor(ts / DAY);
  const monday = d - ((new Date(d * DAY).getUTCDay() + 6) % 7);
  return `week of ${dayKey(monday * DAY)}`;
}

/** The group of row i as one string (several tag keys as their JSON list); `groupKeys` lists them. */
function groupOf(table: RecordTable, i: number, by: GroupBy, model: string, day: string): string {
  switch (by) {
    case 'day':
      return day;
    case 'month':
      return day.slice(0, 7);
    case 'model':
      return model;
    case 'session':
      return table.session(i) ?? '(none)';
    default: {
      const keys = groupKeys(table, i, by, model);
      return keys.length === 1 ? keys[0]! : JSON.stringify(keys);
    }
  }
}

function groupKeys(table: RecordTable, i: number, by: GroupBy, model: string): string[] {
  switch (by) {
    case 'day':
      return [dayKey(table.ts(i))];
    case 'week':
      return [weekKey(table.ts(i))];
    case 'month':
      return [dayKey(table.ts(i)).slice(0, 7)];
    case 'model':
      return [model];
    case 'session':
      return [table.session(i) ?? '(none)'];
    case 'project':
      return [table.project(i) ?? '(none)'];
    case 'key':
      return [table.keyOf(i) ?? '(none)'];
    case 'tag': {
      const tags = table.tags(i);
      const keys = tags ? Object.entries(tags).map(([k, v]) => `${k}=${v}`) : [];
      return keys.length > 0 ? keys : ['(untagged)'];
    }
  }
}

export function aggregate(table: RecordTable, catalog: Catalog, opts: AggregateOptions = {}): Aggregate {
  const by = opts.by ?? 'day';
  const fee = catalog.webSearchPerSearch;
  const totals = newBucket('total');
  const groups = new Map<string, Bucket>();
  const days = new Map<string, Bucket>();
  const models = new Map<string, Bucket>();
  const sessions = new Map<string, Bucket>();
  const unknown = new Map<string, UnknownModel>();
  const failures = new Map<string, PriceFailure>();
  const resolved = new Map<string, CatalogModel | null>();
  const classes = new Map<string, PriceClass | null>();
  const rows: number[] = [];
  const rowModel: (CatalogModel | undefined)[] = [];
  /** The cell of each priced row (for the wasted writes, added after every row is in). */
  const rowCell: (Cell | undefined)[] = [];
  let first: number | null = null;
  let last: number | null = null;
  // Rows sharing day, model, session and group are summed into one cell first (consecutive rows mostly share all four).
  const cells = new Map<string, Cell>();
  let lastCell = null as Cell | null;
  let lastClassKey = '';
  let lastClass: PriceClass | null = null;
  let lastModelId = -2;
  let lastBits = -1;
  let lastGeo = -2;
  const bucket = (m: Map<string, Bucket>, k: string): Bucket => {
    let b = m.get(k);
    if (!b) m.set(k, (b = newBucket(k)));
    return b;
  };
  // One pass over every row: the table's columns are read directly (the code runs once, mostly still cold).
  const { nums, ids, flags } = table.columns();
  const maxTokens = table.idOf('max_tokens');
  const classOf = (i: number): PriceClass | null => {
    const modelId = ids[i * IDS + MODEL]!;
    const f = flags[i]!;
    const bits = (f & F_BATCH ? 2 : 0) + (f & F_FAST ? 1 : 0);
    const geo = ids[i * IDS + GEO]!;
    if (modelId === lastModelId && bits === lastBits && geo === lastGeo) return lastClass;
    const k = `${modelId}\u0000${bits}\u0000${geo}`;
    let c = k === lastClassKey ? lastClass : classes.get(k);
    if (c === undefined) {
      const logged = table.model(i);
      let m = resolved.get(logged);
      if (m === undefined) resolved.set(logged, (m = catalog.tryResolve(logged) ?? null));
      if (m === null) c = null;
      else {
        const batch = bits >= 2;
        const fast = (bits & 1) === 1;
        const g = table.str(geo);
        // The cost engine's refusals depend only on the model and the modifiers: ask it once per class.
        let failure: string | null = null;
        try {
          priceResolved(m, fee, { service_tier: batch ? 'batch' : null, speed: fast ? 'fast' : null, inference_geo: g });
        } catch (err) {
          if (!(err instanceof CostError)) throw err;
          failure = err.message;
        }
        c = { logged, m, batch, fast, geo: g, failure, linear: failure === null && linearPricing(m, batch, fast) };
      }
      classes.set(k, c);
    }
    lastModelId = modelId;
    lastBits = bits;
    lastGeo = geo;
    lastClassKey = k;
    lastClass = c;
    return c;
  };

  for (let i = 0; i < table.size; i++) {
    const o = i * NUMS;
    const ts = nums[o + TS]!;
    if (opts.since !== undefined && ts < opts.since) continue;
    if (opts.until !== undefined && ts >= opts.until) continue;
    const cls = classOf(i);
    if (cls === null) {
      const modelId = table.model(i);
      let u = unknown.get(modelId);
      if (!u) unknown.set(modelId, (u = { model: modelId, requests: 0, tokens: zeroLines() }));
      u.requests++;
      addLines(u.tokens, table.lines(i));
      continue;
    }
    if (cls.failure !== null) {
      const f = failures.get(cls.failure) ?? { model: table.model(i), message: cls.failure, requests: 0 };
      f.requests++;
      failures.set(cls.failure, f);
      continue;
    }
    // A row summed with its class is priced with the cell; any other is priced now, on its own.
    const summed = cls.linear && (flags[i]! & F_STEPS) === 0;
    let priced: PricedUsage | null = null;
    if (!summed) {
      try {
        priced = priceResolved(cls.m, fee, table.usage(i));
      } catch (err) {
        if (!(err instanceof CostError)) throw err;
        const f = failures.get(err.message) ?? { model: table.model(i), message: err.message, requests: 0 };
        f.requests++;
        failures.set(err.message, f);
        continue;
      }
    }
    rows.push(i);
    rowModel[i] = cls.m;
    if (first === null || ts < first) first = ts;
    if (last === null || ts > last) last = ts;
    const day = dayKey(ts);
    const session = table.str(ids[i * IDS + SESSION]!) ?? '(none)';
    const model = cls.m.entry.id;
    const group = groupOf(table, i, by, model, day);
    let cell: Cell | null = lastCell;
    if (cell === null || cell.day !== day || cell.model !== model || cell.session !== session || cell.group !== group) {
      const k: string = `${day}\u0000${model}\u0000${session}\u0000${group}`;
      cell = cells.get(k) ?? null;
      if (cell === null) cells.set(k, (cell = { day, model, session, group, keys: groupKeys(table, i, by, model), acc: newBucket(k), sums: [] }));
      lastCell = cell;
    }
    rowCell[i] = cell;
    const b = cell.acc;
    b.requests++;
    if (maxTokens >= 0 && ids[i * IDS + STOP] === maxTokens) b.truncations++;
    if (priced !== null) {
      b.cost += priced.total;
      addInto(b.breakdown, priced.breakdown);
      addLines(b.tokens, priced.tokens);
      b.webSearches += priced.webSearches;
      continue;
    }
    const input = nums[o + INPUT]!;
    const w5 = nums[o + W5]!;
    const w1h = nums[o + W1H]!;
    const read = nums[o + READ]!;
    const output = nums[o + OUTPUT]!;
    const web = nums[o + WEB]!;
    const t = b.tokens;
    t.input += input;
    t.cache_write_5m += w5;
    t.cache_write_1h += w1h;
    t.cache_read += read;
    t.output += output;
    b.webSearches += web;
    const sum = sumOf(cell, cls);
    sum.input += input;
    sum.w5 += w5;
    sum.w1h += w1h;
    sum.read += read;
    sum.output += output;
    sum.web += web;
  }

  const runs = sessionRuns(table, rows);
  wastedWrites(table, runs, (i, w5, w1h) => {
    const cell = rowCell[i]!;
    const b = cell.acc;
    b.wastedWriteTokens += w5 + w1h;
    const cls = classOf(i)!;
    if (cls.linear) {
      const sum = sumOf(cell, cls);
      sum.wasted5 += w5;
      sum.wasted1h += w1h;
    } else b.wastedWritePremium += writePremium(cls, w5, w1h);
  });

  // Each cell's sums priced once, then added to every bucket the cell belongs to: one addition per cell and bucket.
  for (const c of cells.values()) {
    const b = c.acc;
    for (const s of c.sums) {
      const priced = priceResolved(s.cls.m, fee, usageOf(s.cls, s, s.web));
      b.cost += priced.total;
      addInto(b.breakdown, priced.breakdown);
      if (s.wasted5 + s.wasted1h > 0) b.wastedWritePremium += writePremium(s.cls, s.wasted5, s.wasted1h);
    }
    const targets = [totals, bucket(days, c.day), bucket(models, c.model), bucket(sessions, c.session)];
    for (const k of c.keys) targets.push(bucket(groups, k));
    for (const t of targets) addBucket(t, b);
  }

  const byKey = (a: Bucket, b: Bucket): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const byCost = (a: Bucket, b: Bucket): number => (b.cost > a.cost ? 1 : b.cost < a.cost ? -1 : byKey(a, b));
  const timeGroups = by === 'day' || by === 'week' || by === 'month';
  return {
    totals,
    by,
    groups: [...groups.values()].sort(timeGroups ? byKey : byCost),
    byDay: [...days.values()].sort(byKey),
    byModel: [...models.values()].sort(byCost),
    topSessions: [...sessions.values()].sort(byCost).slice(0, opts.topSessions ?? 10),
    unknownModels: [...unknown.values()].sort((a, b) => b.requests - a.requests),
    priceFailures: [...failures.values()],
    first,
    last,
    rows,
    rowModel,
    sessions: runs,
  };
}

/** The sums of class `cls` in `cell` (a cell mostly holds one class). */
function sumOf(cell: Cell, cls: PriceClass): ClassSum {
  const sums = cell.sums;
  for (let k = 0; k < sums.length; k++) if (sums[k]!.cls === cls) return sums[k]!;
  const s: ClassSum = { cls, input: 0, w5: 0, w1h: 0, read: 0, output: 0, web: 0, wasted5: 0, wasted1h: 0 };
  sums.push(s);
  return s;
}
