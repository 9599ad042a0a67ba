/**
 * What the same traffic would have cost with each lever, and with all of them together (one replay, so their
 * interactions count: compression breaks the cache it shortens, routing moves whole sessions and their caches,
 * caps shorten answers on the routed model), plus an oracle floor. Every figure carries the assumption it rests on.
 *
 * Savings are measured replay against replay: the baseline is the replay of the traffic as it was (observed TTLs,
 * no lever), so estimation error in the replay does not show up as a saving. `replay_error` reports how far that
 * baseline is from what was really billed.
 */
import type { Catalog } from '../../pricing/catalog.js';
import { picoToUsd, type Pico } from '../../pricing/money.js';
import type { Aggregate } from '../aggregate.js';
import type { RecordTable } from '../record-table.js';
import {
  batchSession,
  canRoute,
  capSession,
  compressSession,
  DEFAULT_COMPRESSION,
  DEFAULT_ROUTING,
  mayBatch,
  outputCaps,
  routeSession,
  routingTarget,
  type CompressionRule,
  type RoutingRule,
} from './levers.js';
import { Pricer, type Lines } from './pricer.js';
import { oracleSession, replaySession, type TtlPolicy } from './replay.js';
import { buildShapes, type Shapes } from './shapes.js';

export type LeverKey = 'caching' | 'routing' | 'batching' | 'output_caps' | 'compression';

export interface WhatIfEntry {
  readonly lever: LeverKey | 'combined' | 'oracle';
  /** What the traffic would have cost (actual cost minus the saving). */
  readonly cost: Pico;
  readonly saving: Pico;
  readonly assumption: string;
  readonly detail: Readonly<Record<string, string | number | null>>;
}

export interface WhatIf {
  readonly actual: Pico;
  /** The replay of the traffic as it was: the baseline every saving is measured from. */
  readonly replayBaseline: Pico;
  readonly cacheEngine: string;
  readonly levers: readonly WhatIfEntry[];
  readonly combined: WhatIfEntry;
  readonly oracle: WhatIfEntry;
  /** Levers added one after another (caching, routing, compression, output caps, batching): cost after each. */
  readonly waterfall: readonly { readonly lever: LeverKey; readonly cost: Pico }[];
}

export interface WhatIfOptions {
  readonly routing?: RoutingRule;
  readonly compression?: CompressionRule;
  /** Percentile of observed output lengths a cap is set at. */
  readonly capPercentile?: number;
}

type Replayed = { cost: Pico; tokens: Lines; perSession: Pico[] };

/**
 * Several policies in one walk over the sessions (each session replayed under each while at hand), with each
 * session's own cost per policy: a replay's cost is a sum over sessions (the Pricer's sums are exact), so a lever
 * that changes a few sessions is priced by replaying just those and swapping their costs.
 */
function replayPolicies(s: Shapes, policies: readonly TtlPolicy[], fee: Pico): Replayed[] {
  const out = policies.map(() => ({ cost: 0n, tokens: { input: 0, write5m: 0, write1h: 0, read: 0, output: 0 }, perSession: [] as Pico[] }));
  for (const [start, end] of s.runs) {
    for (let p = 0; p < policies.length; p++) {
      const o = out[p]!;
      const c = replayOne(s, start, end, policies[p]!, fee, o.tokens);
      o.perSession.push(c);
      o.cost += c;
    }
  }
  return out;
}

/** One session's replayed cost under a policy (its tokens added to `tokens` when given). */
function replayOne(s: Shapes, start: number, end: number, policy: TtlPolicy, fee: Pico, tokens?: Lines): Pico {
  const pricer = new Pricer(s.models, fee);
  replaySession(s, start, end, policy, pricer);
  if (tokens) {
    const t = pricer.tokens;
    tokens.input += t.input;
    tokens.write5m += t.write5m;
    tokens.write1h += t.write1h;
    tokens.read += t.read;
    tokens.output += t.output;
  }
  return pricer.total();
}

const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '0%');

export function whatIf(table: RecordTable, agg: Aggregate, catalog: Catalog, opts: WhatIfOptions = {}): WhatIf {
  const fee = catalog.webSearchPerSearch;
  const routing = opts.routing ?? DEFAULT_ROUTING;
  const compression = opts.compression ?? DEFAULT_COMPRESSION;
  const capPct = opts.capPercentile ?? 99;
  const deferrable = (row: number): boolean => table.deferrable(row);
  const actual = agg.totals.cost;
  const built = buildShapes(table, agg);
  const shapes = built.shapes;
  const requests = shapes.size;
  const [observed, c5, c1, ca] = replayPolicies(shapes, ['observed', '5m', '1h', 'adaptive'], fee) as [Replayed, Replayed, Replayed, Replayed];
  const baseline = observed.cost;
  const entry = (lever: WhatIfEntry['lever'], cost: Pico, assumption: string, detail: WhatIfEntry['detail'] = {}): WhatIfEntry => {
    const saving = baseline - cost;
    return { lever, cost: actual - saving, saving, assumption, detail };
  };
  const target = routingTarget(catalog);

  // caching
  const caching = entry('caching', ca.cost,
    'Each session replayed from its token counts: a request shares the whole previous prompt when the prompt grew, else what the API reported reading; ' +
      'one breakpoint at the end of the prompt; TTL chosen per request from the gap to the next one (1h when it is over 5 minutes and within the hour, else 5m); ' +
      'entries expire after their TTL from the last write or hit; no caching under the model\'s minimum cacheable length.',
    { saving_all_5m_usd: picoToUsd(baseline - c5.cost), saving_all_1h_usd: picoToUsd(baseline - c1.cost), adaptive_hit_rate: pct(ca.tokens.read, ca.tokens.read + ca.tokens.write5m + ca.tokens.write1h + ca.tokens.input) });

  // One lever alone: on a copy of the shapes, only the sessions it changes are replayed, and their cost swapped
  // for the one observed (a replay's cost is a sum over sessions, so the unchanged ones cancel out exactly).
  // `mayChange` is a cheap necessary condition for the lever to change a session: with no session in question,
  // the shapes are not even copied.
  const alone = (mayChange: (s: Shapes, start: number, end: number) => boolean, change: (s: Shapes, start: number, end: number) => number): { cost: Pico; changed: number } => {
    let copy: Shapes | null = null;
    let cost = baseline;
    let changed = 0;
    shapes.runs.forEach(([start, end], k) => {
      if (!mayChange(shapes, start, end)) return;
      copy ??= shapes.clone();
      const n = change(copy, start, end);
      if (n === 0) return;
      changed += n;
      cost += replayOne(copy, start, end, 'observed', fee) - observed.perSession[k]!;
    });
    return { cost, changed };
  };

  // routing
  const routed = alone(
    (s, start, end) => target !== null && canRoute(s, start, end, target, routing),
    (s, start, end) => (target && routeSession(s, start, end, target, routing) ? end - start : 0),
  );
  const routingEntry = entry('routing', routed.cost,
    target
      ? `Whole sessions moved to ${target.entry.id} when every response was at most ${routing.maxOutput} output tokens, none truncated, and every prompt fit in ${Math.round(routing.contextShare * 100)}% of its context window; token counts converted between tokenizers by characters per token; quality not checked.`
      : 'No active Haiku model in the catalog to route to.',
    { target: target?.entry.id ?? null, requests_demoted: routed.changed, share: pct(routed.changed, requests) });

  // batching
  const batched = alone(
    (s, start, end) => mayBatch(s, start, end, deferrable),
    (s, start, end) => batchSession(s, start, end, deferrable),
  );
  const batching = entry('batching', batched.cost,
    'Requests tagged or ruled deferrable (tag defer=…, or a record marked deferrable) priced at Batch API rates (50% off every line), cache behaviour unchanged (batch cache hits are best-effort); ' +
      (batched.changed === 0 ? 'none of this traffic was marked deferrable (interactive sessions such as Claude Code are not).' : 'the rest needed an interactive answer.'),
    { requests_batched: batched.changed, share: pct(batched.changed, requests) });

  // output caps
  const caps = outputCaps(shapes, capPct);
  const capped = alone(
    () => true,
    (s, start, end) => capSession(s, start, end, caps.byIndex),
  );
  const output = entry('output_caps', capped.cost,
    `max_tokens per model at the p${capPct} of its observed untruncated output lengths; answers longer than the cap stop there and the cut tokens are assumed unneeded (run-away output); later prompts not shortened.`,
    { caps: [...caps.caps].map(([m, c]) => `${m.entry.id}=${c}`).join(', '), answers_cut: capped.changed });

  // compression
  const compressed = alone(
    () => true,
    (s, start, end) => compressSession(s, start, end, compression, target, fee),
  );
  const compressionEntry = entry('compression', compressed.cost,
    `When a prompt passes ${compression.triggerTokens} tokens, history older than the last ${compression.keepTurns} requests is replaced by a ${compression.summaryTokens}-token summary written by ${target?.entry.id ?? 'the same model'} (its input uncached); the cache breaks after tools + system at that request and is written again.`,
    { compactions: compressed.changed });

  const oraclePricer = new Pricer(shapes.models, fee);
  for (const [start, end] of shapes.runs) oracleSession(shapes, start, end, oraclePricer);
  const oracle = entry('oracle', oraclePricer.total(), 'The least this traffic could have cost with the same models and the same answers: perfect caching with no expiry (new tokens written only when a later request reuses them), every request at batch prices.');

  // all together, lever by lever (the waterfall), ending with every lever on: interactions counted
  // The last use of the shapes: the waterfall changes them in place (no copy).
  const all = shapes;
  const afterEach: { lever: LeverKey; cost: Pico }[] = [];
  let replayed = ca.cost;
  // Each step replays only the sessions it changed, and swaps their cost; a step that changed nothing costs what
  // the step before did.
  const current = [...ca.perSession];
  const step = (lever: LeverKey, change: (s: Shapes, start: number, end: number) => number): void => {
    all.runs.forEach(([start, end], k) => {
      if (change(all, start, end) === 0) return;
      const cost = replayOne(all, start, end, 'adaptive', fee);
      replayed += cost - current[k]!;
      current[k] = cost;
    });
    afterEach.push({ lever, cost: actual - (baseline - replayed) });
  };
  step('caching', () => 0);
  step('routing', (s, start, end) => (target && routeSession(s, start, end, target, routing) ? 1 : 0));
  step('compression', (s, start, end) => compressSession(s, start, end, compression, target, fee));
  const capsAll = outputCaps(all, capPct);
  step('output_caps', (s, start, end) => capSession(s, start, end, capsAll.byIndex));
  step('batching', (s, start, end) => batchSession(s, start, end, deferrable));
  const combined = entry('combined', replayed, 'All five levers in one replay (routing, compression, output caps and batching applied to the same requests, priced with adaptive caching): interactions counted, not a sum of the lines above.');


  return { actual, replayBaseline: baseline, cacheEngine: `token-level replay of reference section 2 (src/analyze/whatif/replay.ts): logs carry token counts, not the prompt blocks src/emulator/prompt-cache.ts works on; shared prefixes ${built.bodies > 0 ? `from request-body block hashes (src/wire/prefix.ts) for ${built.bodies} requests, ` : ''}from prompt growth and reported cache reads${built.bodies > 0 ? ' for the rest' : ''}`, levers: [caching, routingEntry, batching, output, compressionEntry], combined, oracle, waterfall: afterEach };
}
