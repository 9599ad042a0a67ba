/**
 * The what-if replay's input: one "shape" per priced request, held in columns (typed arrays), sessions as ranges
 * of consecutive shapes in time order. A lever that changes shapes works on a copy of the columns (a few
 * memcpy's), not on a copy of every request as an object, and the replay walks plain arrays.
 *
 * Model of a request: its prompt is P tokens; the first `shared` of them are the same as the previous request of
 * the session (Claude Code appends to the conversation, so a growing prompt shares all of the previous one; a
 * shrinking one shares what the API reported reading from cache); `tail` is the uncached tail after the last
 * breakpoint, as observed.
 */
import type { CatalogModel } from '../../pricing/catalog.js';
import type { Pico } from '../../pricing/money.js';
import type { UsageIteration } from '../../pricing/usage.js';
import type { PrefixAnalysis } from '../../wire/prefix.js';
import type { Aggregate } from '../aggregate.js';
import { F_BATCH, F_FAST, F_STEPS, GEO, IDS, INPUT, NUMS, OUTPUT, READ, STOP, TS, W1H, W5, WEB } from '../record-columns.js';
import type { RecordTable } from '../record-table.js';
import { prefixOf, sharedTokens } from './shared-prefix.js';

export const BATCH = 1;
export const FAST = 2;
/** The request actually wrote with the 1h TTL (more 1h than 5m write tokens). */
export const TTL_1H = 4;
/** The answer stopped at max_tokens. */
export const TRUNCATED = 8;

export class Shapes {
  /** The models shapes refer to (by index in `model`). */
  readonly models: CatalogModel[] = [];
  private readonly modelIndex = new Map<CatalogModel, number>();
  /** The inference_geo values shapes refer to (by index in `geo`, -1 for the default). */
  readonly geos: string[] = [];

  readonly row: Int32Array;
  readonly ts: Float64Array;
  /** Every prompt token: uncached input + cache writes + cache reads. */
  readonly prompt: Float64Array;
  /** Tokens at the start of the prompt identical to the previous request of the session. */
  readonly shared: Float64Array;
  /** Uncached tail after the last breakpoint, as observed. */
  readonly tail: Float64Array;
  readonly output: Float64Array;
  readonly web: Float64Array;
  readonly model: Int32Array;
  readonly geo: Int32Array;
  /** BATCH, FAST, TTL_1H, TRUNCATED. */
  readonly flags: Uint8Array;
  /** Extra billed steps (compaction iterations), kept as they were; by shape index, for the few that have them. */
  readonly steps: Map<number, readonly UsageIteration[]>;
  /** Extra cost the what-if adds for a shape (e.g. a summary call), priced already; by shape index. */
  readonly extra: Map<number, Pico>;
  /** [start, end) of each session. */
  readonly runs: readonly (readonly [number, number])[];

  constructor(n: number, runs: readonly (readonly [number, number])[], from?: Shapes) {
    this.runs = runs;
    if (from) {
      this.models.push(...from.models);
      for (const [m, k] of from.modelIndex) this.modelIndex.set(m, k);
      this.geos.push(...from.geos);
      this.row = from.row.slice();
      this.ts = from.ts.slice();
      this.prompt = from.prompt.slice();
      this.shared = from.shared.slice();
      this.tail = from.tail.slice();
      this.output = from.output.slice();
      this.web = from.web.slice();
      this.model = from.model.slice();
      this.geo = from.geo.slice();
      this.flags = from.flags.slice();
      this.steps = new Map(from.steps);
      this.extra = new Map(from.extra);
      return;
    }
    this.row = new Int32Array(n);
    this.ts = new Float64Array(n);
    this.prompt = new Float64Array(n);
    this.shared = new Float64Array(n);
    this.tail = new Float64Array(n);
    this.output = new Float64Array(n);
    this.web = new Float64Array(n);
    this.model = new Int32Array(n);
    this.geo = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.steps = new Map();
    this.extra = new Map();
  }

  get size(): number {
    return this.row.length;
  }

  /** A copy a lever may change (the columns copied whole: cheap next to replaying them). */
  clone(): Shapes {
    return new Shapes(0, this.runs, this);
  }

  indexOf(m: CatalogModel): number {
    let k = this.modelIndex.get(m);
    if (k === undefined) {
      k = this.models.length;
      this.models.push(m);
      this.modelIndex.set(m, k);
    }
    return k;
  }

  modelOf(k: number): CatalogModel {
    return this.models[this.model[k]!]!;
  }
}

/** The shapes of every priced row, session by session in time order; `bodies` counts rows whose prefix came from hashes. */
export function buildShapes(table: RecordTable, agg: Aggregate): { shapes: Shapes; bodies: number } {
  const { order, runs } = agg.sessions;
  const n = order.length;
  const runList: [number, number][] = [];
  const s = new Shapes(n, runList);
  // One pass over every row: the table's columns are read directly (the code runs once, mostly still cold).
  const { nums, ids, flags } = table.columns();
  const maxTokens = table.idOf('max_tokens');
  const withBodies = table.hasBodies;
  const geoIndex = new Map<number, number>();
  const { row, ts, prompt: prompts, shared: shareds, tail, output, web, model: models, geo, flags: shapeFlags } = s;
  const rowModel = agg.rowModel;
  let bodies = 0;
  let lastModel: CatalogModel | undefined;
  let lastIndex = -1;
  let at = 0;
  for (const [start, end] of runs) {
    const first = at;
    let prevPrompt = -1;
    let prevPrefix: PrefixAnalysis | null = null;
    for (let k = start; k < end; k++, at++) {
      const i = order[k]!;
      const o = i * NUMS;
      const input = nums[o + INPUT]!;
      const w5 = nums[o + W5]!;
      const w1h = nums[o + W1H]!;
      const read = nums[o + READ]!;
      const model = rowModel[i]!;
      const prompt = input + w5 + w1h + read;
      // With the request body: the prefix shared with the previous request, by block hashes. Without: a prompt
      // that grew shares the whole previous prompt; one that shrank shares what the API reported reading.
      const body = withBodies ? table.body(i) : null;
      const prefix = body ? prefixOf(body, model) : null;
      const byHash = prefix && prevPrefix ? sharedTokens(prevPrefix, prefix, prompt) : null;
      const shared = Math.min(prompt, Math.max(byHash ?? (prevPrompt >= 0 && prompt >= prevPrompt ? prevPrompt : 0), read));
      if (prefix) bodies++;
      prevPrompt = prompt;
      prevPrefix = prefix;
      if (model !== lastModel) {
        lastModel = model;
        lastIndex = s.indexOf(model);
      }
      row[at] = i;
      ts[at] = nums[o + TS]!;
      prompts[at] = prompt;
      shareds[at] = shared;
      tail[at] = input;
      output[at] = nums[o + OUTPUT]!;
      web[at] = nums[o + WEB]!;
      models[at] = lastIndex;
      const g = ids[i * IDS + GEO]!;
      let gi = -1;
      if (g >= 0) {
        gi = geoIndex.get(g) ?? -1;
        if (gi < 0) {
          gi = s.geos.length;
          s.geos.push(table.str(g)!);
          geoIndex.set(g, gi);
        }
      }
      geo[at] = gi;
      const f = flags[i]!;
      shapeFlags[at] = (f & F_BATCH ? BATCH : 0) | (f & F_FAST ? FAST : 0) | (w1h > w5 ? TTL_1H : 0) | (maxTokens >= 0 && ids[i * IDS + STOP] === maxTokens ? TRUNCATED : 0);
      if (f & F_STEPS) s.steps.set(at, table.steps(i));
    }
    runList.push([first, at]);
  }
  return { shapes: s, bodies };
}
