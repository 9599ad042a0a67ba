/**
 * Properties of the cost engine over random usage objects on every model of the shipped catalog:
 * the total is the sum of the breakdown (and of pricing the parts separately), cost never falls when a token count
 * rises, and a batch request costs exactly half of the same request at standard prices (integer pico-dollars).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getDefaultCatalog } from './catalog.js';
import { priceUsage, sumBreakdown, type PriceOptions } from './cost.js';
import type { Usage } from './usage.js';

const catalog = getDefaultCatalog();
const models = catalog.models().map((m) => m.id);
const RUNS = { numRuns: 300 };

const tokens = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 400_000 }));

interface Req {
  model: string;
  usage: Usage;
  opts: PriceOptions;
}

/** A usage object as the API could return it for that model, with options the model accepts. */
const request: fc.Arbitrary<Req> = fc
  .record({
    model: fc.constantFrom(...models),
    input: tokens,
    output: tokens,
    w5: tokens,
    w1h: tokens,
    read: tokens,
    searches: fc.integer({ min: 0, max: 20 }),
    compaction: fc.option(fc.record({ input: tokens, output: tokens, read: tokens }), { nil: undefined }),
    batch: fc.boolean(),
    geo: fc.boolean(),
    fast: fc.boolean(),
  })
  .map((r) => {
    const m = catalog.resolve(r.model);
    const fast = r.fast && m.fast !== null;
    const usage: Usage = {
      input_tokens: r.input,
      output_tokens: r.output,
      cache_creation_input_tokens: r.w5 + r.w1h,
      cache_creation: { ephemeral_5m_input_tokens: r.w5, ephemeral_1h_input_tokens: r.w1h },
      cache_read_input_tokens: r.read,
      server_tool_use: { web_search_requests: r.searches },
      ...(r.compaction
        ? { iterations: [{ type: 'compaction', input_tokens: r.compaction.input, output_tokens: r.compaction.output, cache_read_input_tokens: r.compaction.read }] }
        : {}),
    };
    const opts: PriceOptions = { batch: r.batch && !fast, fast, ...(r.geo && m.geo ? { geo: 'us' } : {}) };
    return { model: r.model, usage, opts };
  });

test('property: the total equals the sum of the breakdown, and of the lines priced one by one on untiered models', () => {
  fc.assert(
    fc.property(request, ({ model, usage, opts }) => {
      const p = priceUsage(catalog, model, usage, opts);
      assert.equal(p.total, sumBreakdown(p.breakdown));
      if (catalog.resolve(model).tiers.length > 0) return;
      // Without tiers the bill is linear: pricing each line alone and adding gives the same integer total.
      const parts: Usage[] = [
        { input_tokens: usage.input_tokens ?? 0 },
        { output_tokens: usage.output_tokens ?? 0 },
        { cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_creation: usage.cache_creation ?? null },
        { cache_read_input_tokens: usage.cache_read_input_tokens ?? 0 },
        { server_tool_use: usage.server_tool_use ?? null },
        ...(usage.iterations ?? []).map((it) => ({ input_tokens: it.input_tokens ?? 0, output_tokens: it.output_tokens ?? 0, cache_read_input_tokens: it.cache_read_input_tokens ?? 0 })),
      ];
      const sum = parts.reduce((s, u) => s + priceUsage(catalog, model, u, opts).total, 0n);
      assert.equal(sum, p.total);
    }),
    RUNS,
  );
});

const FIELDS = ['input', 'output', 'w5', 'w1h', 'read', 'searches', 'compaction'] as const;

function bump(u: Usage, field: (typeof FIELDS)[number], by: number): Usage {
  const w5 = u.cache_creation?.ephemeral_5m_input_tokens ?? 0;
  const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  switch (field) {
    case 'input':
      return { ...u, input_tokens: (u.input_tokens ?? 0) + by };
    case 'output':
      return { ...u, output_tokens: (u.output_tokens ?? 0) + by };
    case 'w5':
      return { ...u, cache_creation_input_tokens: w5 + by + w1h, cache_creation: { ephemeral_5m_input_tokens: w5 + by, ephemeral_1h_input_tokens: w1h } };
    case 'w1h':
      return { ...u, cache_creation_input_tokens: w5 + w1h + by, cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1h + by } };
    case 'read':
      return { ...u, cache_read_input_tokens: (u.cache_read_input_tokens ?? 0) + by };
    case 'searches':
      return { ...u, server_tool_use: { web_search_requests: (u.server_tool_use?.web_search_requests ?? 0) + by } };
    case 'compaction':
      return { ...u, iterations: [...(u.iterations ?? []), { type: 'compaction', input_tokens: by }] };
  }
}

test('property: cost never falls when any token count rises (tiers included)', () => {
  fc.assert(
    fc.property(request, fc.constantFrom(...FIELDS), fc.integer({ min: 1, max: 300_000 }), ({ model, usage, opts }, field, by) => {
      const before = priceUsage(catalog, model, usage, opts).total;
      const after = priceUsage(catalog, model, bump(usage, field, by), opts).total;
      assert.ok(after >= before, `${model} ${field}+${by}: ${after} < ${before}`);
      // A priced token always costs something: more tokens on any token line is strictly more money.
      if (field !== 'searches') assert.ok(after > before, `${model} ${field}+${by} did not cost more`);
    }),
    RUNS,
  );
});

test('property: a batch request costs exactly half the standard price, line by line, in pico-dollars', () => {
  fc.assert(
    fc.property(request, ({ model, usage, opts }) => {
      if (opts.fast) return; // fast mode is not available in Batch (tested as an error in cost.test.ts)
      const standard = priceUsage(catalog, model, usage, { ...opts, batch: false });
      const batch = priceUsage(catalog, model, usage, { ...opts, batch: true });
      const tokenLines = (['input', 'cache_write_5m', 'cache_write_1h', 'cache_read', 'output'] as const);
      for (const k of tokenLines) assert.equal(batch.breakdown[k] * 2n, standard.breakdown[k], `${model} ${k}`);
      // The web search fee is per search, not per token, so it is the same in both.
      assert.equal(batch.breakdown.server_tools, standard.breakdown.server_tools);
      assert.equal((batch.total - batch.breakdown.server_tools) * 2n, standard.total - standard.breakdown.server_tools);
    }),
    RUNS,
  );
});
