/**
 * Spend over a RecordTable: every row priced once through the cost engine, summed into totals and into groups (by
 * day, week, month, model, session, project, key or tag), plus cache hit rate, cache writes never read,
 * truncations and top sessions. Models the catalog does not know are listed with their tokens, never priced as 0.
 */
import type { Catalog, CatalogModel } from '../pricing/catalog.js';
import { CostError, priceResolved, ZERO_BREAKDOWN, type CostBreakdown } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import type { TokenLines } from '../pricing/usage.js';
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
}

/** Rows with the same day, model, session and group keys: summed together, then added to each of their buckets. */
interface Cell {
  readonly day: string;
  readonly model: string;
  readonly session: string;
  readonly group: string;
  readonly keys: readonly string[];
  readonly acc: Bucket;
}

/** Cache hit rate weighted by tokens: read / (read + write + uncached input); null when there was no input. */
export function cacheHitRate(t: TokenLines): number | null {
  const all = t.cache_read + t.cache_write_5m + t.cache_write_1h + t.input;
  return all > 0 ? t.cache_read / all : null;
}

const DAY = 86_400_000;
const dayNames = new Map<number, string>();
/** The UTC date of an epoch-ms time, "2026-11-17" (memoised per day: called for every row). */
export function dayKey(ts: number): string {
  const d = Math.floor(ts / DAY);
  let s = dayNames.get(d);
  if (s === undefined) dayNames.set(d, (s = new Date(d * DAY).toISOString().slice(0, 10)));
  return s;
}
/** ISO week, named by its Monday (UTC). */
export function weekKey(ts: number): string {
  const d = Math.floor(ts / DAY);
  const monday = d - ((new Date(d * DAY).getUTCDay() + 6) % 7);
  return `week of ${dayKey(monday * DAY)}`;
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

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/**
 * Cache writes never read. A request that wrote W tokens cached its prompt through (its reads + W). The write was
 * read if a later request of the same session, on the same model, within the TTL of the write, read more than
 * the writer itself read (so it read into what was written). Token-level: logs carry no prefix hashes.
 */
function wastedWrites(table: RecordTable, runs: SessionRuns, add: (i: number, w5: number, w1h: number) => void): void {
  const { order } = runs;
  for (const [start, end] of runs.runs) {
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      const l = table.lines(i);
      if (l.cache_write_5m + l.cache_write_1h === 0) continue;
      const t = table.ts(i);
      const model = table.model(i);
      let read5 = false;
      let read1 = false;
      for (let q = k + 1; q < end; q++) {
        const j = order[q]!;
        const dt = table.ts(j) - t;
        if (dt > TTL_MS['1h']) break;
        if (table.model(j) !== model || table.lines(j).cache_read <= l.cache_read) continue;
        read1 = true;
        if (dt <= TTL_MS['5m']) read5 = true;
        if (read5) break;
      }
      const w5 = read5 ? 0 : l.cache_write_5m;
      const w1 = read1 ? 0 : l.cache_write_1h;
      if (w5 + w1 > 0) add(i, w5, w1);
    }
  }
}

export function aggregate(table: RecordTable, catalog: Catalog, opts: AggregateOptions = {}): Aggregate {
  const by = opts.by ?? 'day';
  const totals = newBucket('total');
  const groups = new Map<string, Bucket>();
  const days = new Map<string, Bucket>();
  const models = new Map<string, Bucket>();
  const sessions = new Map<string, Bucket>();
  const unknown = new Map<string, UnknownModel>();
  const failures = new Map<string, PriceFailure>();
  const resolved = new Map<string, CatalogModel | null>();
  const rows: number[] = [];
  const rowModel: (CatalogModel | undefined)[] = [];
  let first: number | null = null;
  let last: number | null = null;
  // Rows sharing day, model, session and group are summed into one cell first (consecutive rows mostly share all four).
  const cells = new Map<string, Cell>();
  let lastCell = null as Cell | null;
  const bucket = (m: Map<string, Bucket>, k: string): Bucket => {
    let b = m.get(k);
    if (!b) m.set(k, (b = newBucket(k)));
    return b;
  };

  for (let i = 0; i < table.size; i++) {
    const ts = table.ts(i);
    if (opts.since !== undefined && ts < opts.since) continue;
    if (opts.until !== undefined && ts >= opts.until) continue;
    const modelId = table.model(i);
    let m = resolved.get(modelId);
    if (m === undefined) resolved.set(modelId, (m = catalog.tryResolve(modelId) ?? null));
    const usage = table.usage(i);
    if (m === null) {
      let u = unknown.get(modelId);
      if (!u) unknown.set(modelId, (u = { model: modelId, requests: 0, tokens: zeroLines() }));
      u.requests++;
      addLines(u.tokens, table.lines(i));
      continue;
    }
    let priced;
    try {
      priced = priceResolved(m, catalog.webSearchPerSearch, usage);
    } catch (err) {
      if (!(err instanceof CostError)) throw err;
      const f = failures.get(err.message) ?? { model: modelId, message: err.message, requests: 0 };
      f.requests++;
      failures.set(err.message, f);
      continue;
    }
    rows.push(i);
    rowModel[i] = m;
    if (first === null || ts < first) first = ts;
    if (last === null || ts > last) last = ts;
    const day = dayKey(ts);
    const session = table.session(i) ?? '(none)';
    const keys = groupKeys(table, i, by, priced.model);
    const group = keys.length === 1 ? keys[0]! : JSON.stringify(keys);
    let cell: Cell | null = lastCell;
    if (cell === null || cell.day !== day || cell.model !== priced.model || cell.session !== session || cell.group !== group) {
      const k: string = `${day}\u0000${priced.model}\u0000${session}\u0000${group}`;
      cell = cells.get(k) ?? null;
      if (cell === null) cells.set(k, (cell = { day, model: priced.model, session, group, keys, acc: newBucket(k) }));
      lastCell = cell;
    }
    const b = cell.acc;
    b.requests++;
    b.cost += priced.total;
    addInto(b.breakdown, priced.breakdown);
    addLines(b.tokens, priced.tokens);
    b.webSearches += priced.webSearches;
    if (table.stopReason(i) === 'max_tokens') b.truncations++;
  }
  // Each cell's sums go to every bucket it belongs to: one addition per cell and bucket, not per row and bucket.
  for (const c of cells.values()) {
    const targets = [totals, bucket(days, c.day), bucket(models, c.model), bucket(sessions, c.session)];
    for (const k of c.keys) targets.push(bucket(groups, k));
    for (const b of targets) addBucket(b, c.acc);
  }

  const runs = sessionRuns(table, rows);
  wastedWrites(table, runs, (i, w5, w1h) => {
    const m = rowModel[i]!;
    const usage = table.usage(i);
    const asWrite = priceResolved(m, 0n, { cache_creation_input_tokens: w5 + w1h, cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1h }, service_tier: usage.service_tier ?? null, inference_geo: usage.inference_geo ?? null, speed: usage.speed ?? null });
    const asInput = priceResolved(m, 0n, { input_tokens: w5 + w1h, service_tier: usage.service_tier ?? null, inference_geo: usage.inference_geo ?? null, speed: usage.speed ?? null });
    const premium = asWrite.total - asInput.total;
    const targets = [totals, bucket(days, dayKey(table.ts(i))), bucket(models, m.entry.id), bucket(sessions, table.session(i) ?? '(none)')];
    for (const k of groupKeys(table, i, by, m.entry.id)) targets.push(bucket(groups, k));
    for (const b of targets) {
      b.wastedWriteTokens += w5 + w1h;
      b.wastedWritePremium += premium;
    }
  });

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
