import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Catalog } from '../pricing/catalog.js';
import { loadCatalog } from '../pricing/catalog-load.js';
import { addBreakdowns, CostError, priceUsage, ZERO_BREAKDOWN, type CostBreakdown } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';
import { aggregate, dayKey } from './aggregate.js';
import { RecordTable } from './record-table.js';

/** A deterministic mix of rows: models with and without price tiers, batch, fast, inference_geo, web searches, compaction steps. */
function mixedTable(): { table: RecordTable; rows: { model: string; usage: Usage; ts: number }[] } {
  let s = 7;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const models = ['claude-opus-4-7', 'claude-sonnet-4-5-20250929', 'claude-haiku-5-5', 'claude-haiku-4-5'];
  const table = new RecordTable();
  const rows: { model: string; usage: Usage; ts: number }[] = [];
  for (let k = 0; k < 600; k++) {
    const model = models[rand(models.length)]!;
    const w5 = rand(3) === 0 ? rand(40_000) : 0;
    const w1 = rand(4) === 0 ? rand(40_000) : 0;
    const usage: Usage = {
      input_tokens: rand(5) === 0 ? rand(260_000) : rand(50),
      output_tokens: rand(3_000),
      cache_creation_input_tokens: w5 + w1,
      cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
      cache_read_input_tokens: rand(2) === 0 ? rand(150_000) : 0,
      ...(rand(10) === 0 ? { server_tool_use: { web_search_requests: 1 + rand(3) } } : {}),
      ...(rand(6) === 0 ? { service_tier: 'batch' } : {}),
      ...(model.includes('opus') && rand(5) === 0 ? { speed: 'fast' } : {}),
      ...(!model.includes('haiku-4-5') && !model.includes('sonnet') && rand(4) === 0 ? { inference_geo: 'us' } : {}),
      ...(rand(25) === 0 ? { iterations: [{ type: 'compaction', input_tokens: 180_000, output_tokens: 2_000 }, { type: 'message' }] } : {}),
    };
    const ts = Date.parse('2026-11-16T00:00:00Z') + k * 1_234_567;
    rows.push({ model, usage, ts });
    table.add({ ts, model, usage, session: `s${rand(4)}`, project: null, key: null, tags: null, stopReason: null, maxTokens: null, deferrable: false });
  }
  return { table, rows };
}

/** Every row priced on its own by the cost engine: what the aggregate must equal to the pico-dollar. */
function perRow(cat: Catalog, rows: { model: string; usage: Usage; ts: number }[]): { total: Pico; breakdown: CostBreakdown; byDay: Map<string, Pico>; failed: number } {
  let total = 0n;
  let breakdown: CostBreakdown = { ...ZERO_BREAKDOWN };
  const byDay = new Map<string, Pico>();
  let failed = 0;
  for (const r of rows) {
    let p;
    try {
      p = priceUsage(cat, r.model, r.usage);
    } catch (err) {
      if (!(err instanceof CostError)) throw err;
      failed++;
      continue;
    }
    total += p.total;
    breakdown = addBreakdowns(breakdown, p.breakdown);
    byDay.set(dayKey(r.ts), (byDay.get(dayKey(r.ts)) ?? 0n) + p.total);
  }
  return { total, breakdown, byDay, failed };
}

test('aggregate: totals, breakdown and days equal every row priced on its own (tiers, batch, fast, geo, steps, web searches)', () => {
  const cat = loadCatalog();
  const { table, rows } = mixedTable();
  const agg = aggregate(table, cat);
  const want = perRow(cat, rows);
  assert.ok(want.failed > 0, 'the mix includes rows the cost engine refuses (batch + fast)');
  assert.equal(agg.totals.cost, want.total);
  assert.deepEqual(agg.totals.breakdown, want.breakdown);
  assert.deepEqual(new Map(agg.byDay.map((b) => [b.key, b.cost])), want.byDay);
  assert.equal(agg.priceFailures.reduce((a, f) => a + f.requests, 0), want.failed);
  assert.equal(agg.totals.requests, rows.length - want.failed);
});

test('aggregate: a price override whose batch rate is a fraction of a pico-dollar is rounded row by row, as the cost engine does', () => {
  // 0.000001 USD per MTok = 1 pUSD per token; batch halves it to 0.5, which the engine rounds up per line.
  const cat = loadCatalog({ overrides: { models: [{ id: 'claude-sonnet-4-6', prices: { input: '0.000001', cache_write_5m: '0.000001', cache_write_1h: '0.000001', cache_read: '0.000001', output: '0.000001' } }] } });
  const table = new RecordTable();
  for (let k = 0; k < 3; k++) {
    table.add({ ts: Date.parse('2026-11-16T10:00:00Z') + k, model: 'claude-sonnet-4-6', usage: { input_tokens: 1, service_tier: 'batch' }, session: 's', project: null, key: null, tags: null, stopReason: null, maxTokens: null, deferrable: false });
  }
  // each request: round(1 x 1 x 0.5) = 1 pUSD; the three summed first would have been round(1.5) = 2
  assert.equal(priceUsage(cat, 'claude-sonnet-4-6', { input_tokens: 1, service_tier: 'batch' }).total, 1n);
  assert.equal(aggregate(table, cat).totals.cost, 3n);
});
