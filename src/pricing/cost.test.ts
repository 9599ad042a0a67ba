/**
 * Every pricing rule with its expected number worked out by hand from the reference (anthropic-api.md, section 1).
 * Unit: prices are USD per million tokens (MTok), so N tokens at $P/MTok cost N x P / 1,000,000 dollars.
 * Expected values are exact decimal strings (formatUsdExact), so a rounding slip anywhere fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getDefaultCatalog, UnknownModelError } from './catalog.js';
import { CostError, priceUsage, sumBreakdown, type PricedUsage } from './cost.js';
import { formatUsdExact } from './money.js';
import type { Usage } from './usage.js';

const catalog = getDefaultCatalog();
const usd = formatUsdExact;
const price = (model: string, usage: Usage, opts: Parameters<typeof priceUsage>[3] = {}): PricedUsage => priceUsage(catalog, model, usage, opts);
const lines = (p: PricedUsage): string[] => [p.breakdown.input, p.breakdown.cache_write_5m, p.breakdown.cache_write_1h, p.breakdown.cache_read, p.breakdown.output, p.breakdown.server_tools].map(usd);

// One request with every token line, reused below.
const FULL: Usage = {
  input_tokens: 1_000,
  output_tokens: 500,
  cache_creation_input_tokens: 5_000,
  cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 3_000 },
  cache_read_input_tokens: 4_000,
};

test('Sonnet 4.6, every line: $3 in, $3.75 5m write, $6 1h write, $0.30 read, $15 out', () => {
  const p = price('claude-sonnet-4-6', FULL);
  // input   1,000 x 3    / 1e6 = 0.003
  // 5m      2,000 x 3.75 / 1e6 = 0.0075
  // 1h      3,000 x 6    / 1e6 = 0.018
  // read    4,000 x 0.30 / 1e6 = 0.0012
  // output    500 x 15   / 1e6 = 0.0075
  // total 0.003 + 0.0075 + 0.018 + 0.0012 + 0.0075 = 0.0372
  assert.deepEqual(lines(p), ['0.003', '0.0075', '0.018', '0.0012', '0.0075', '0']);
  assert.equal(usd(p.total), '0.0372');
  assert.deepEqual(p.tokens, { input: 1_000, cache_write_5m: 2_000, cache_write_1h: 3_000, cache_read: 4_000, output: 500 });
});

test('batch halves every line, cache writes and reads included', () => {
  const p = price('claude-sonnet-4-6', { ...FULL, service_tier: 'batch' });
  // 0.003/2 = 0.0015; 0.0075/2 = 0.00375; 0.018/2 = 0.009; 0.0012/2 = 0.0006; 0.0075/2 = 0.00375; total 0.0372/2 = 0.0186
  assert.deepEqual(lines(p), ['0.0015', '0.00375', '0.009', '0.0006', '0.00375', '0']);
  assert.equal(usd(p.total), '0.0186');
  assert.equal(p.batch, true);
  // The option does the same as the usage field.
  assert.equal(price('claude-sonnet-4-6', FULL, { batch: true }).total, p.total);
});

test('1h cache writes cost 2x input, 5m writes 1.25x (Opus 4.7, $5 input)', () => {
  // 1,000,000 x 10 / 1e6 = $10 = 2 x $5;   1,000,000 x 6.25 / 1e6 = $6.25 = 1.25 x $5
  const h = price('claude-opus-4-7', { cache_creation_input_tokens: 1_000_000, cache_creation: { ephemeral_1h_input_tokens: 1_000_000 } });
  assert.equal(usd(h.breakdown.cache_write_1h), '10');
  assert.equal(usd(h.total), '10');
  const m = price('claude-opus-4-7', { cache_creation_input_tokens: 1_000_000, cache_creation: { ephemeral_5m_input_tokens: 1_000_000 } });
  assert.equal(usd(m.total), '6.25');
});

test('batch + cache read = 5% of base input on 0.1x models (reference 1.9)', () => {
  // Sonnet 4.6: 1M reads x 0.30 x 0.5 = $0.15 = 5% of $3; Opus 4.7: 0.50 x 0.5 = $0.25 = 5% of $5; Haiku 4.5: 0.10 x 0.5 = $0.05 = 5% of $1
  const read = { cache_read_input_tokens: 1_000_000, service_tier: 'batch' };
  assert.equal(usd(price('claude-sonnet-4-6', read).total), '0.15');
  assert.equal(usd(price('claude-opus-4-7', read).total), '0.25');
  assert.equal(usd(price('claude-haiku-4-5', read).total), '0.05');
  // Opus 5.5 reads at 0.05x: 4 x 0.05 x 0.5 = $0.10 = 2.5% of $4
  assert.equal(usd(price('claude-opus-5-5', read).total), '0.1');
});

test('Fable 5.1 (and Mythos 5.1) cache reads cost 0.025x input; Fable 5 still 0.1x', () => {
  // 1,000,000 x 0.25 / 1e6 = $0.25 = 0.025 x $10;  Fable 5: 1,000,000 x 1 / 1e6 = $1 = 0.1 x $10
  const read = { cache_read_input_tokens: 1_000_000 };
  assert.equal(usd(price('claude-fable-5-1', read).total), '0.25');
  assert.equal(usd(price('claude-mythos-5-1', read).total), '0.25');
  assert.equal(usd(price('claude-fable-5', read).total), '1');
  // with batch: 0.25 x 0.5 = $0.125 = 1.25% of input (reference 1.9)
  assert.equal(usd(price('claude-fable-5-1', { ...read, service_tier: 'batch' }).total), '0.125');
});

test('Sonnet 4.5 over 200K prompt tokens: every token at $6 / $22.50; exactly 200,000 is not over', () => {
  // prompt = input 150,000 + cache read 50,001 = 200,001 > 200,000 -> long-context rates for the whole request
  // input 150,000 x 6 / 1e6 = 0.9; read 50,001 x 0.60 / 1e6 = 0.0300006; output 1,000 x 22.50 / 1e6 = 0.0225
  // total 0.9 + 0.0300006 + 0.0225 = 0.9525006
  const over = price('claude-sonnet-4-5', { input_tokens: 150_000, cache_read_input_tokens: 50_001, output_tokens: 1_000 });
  assert.equal(usd(over.total), '0.9525006');
  assert.equal(over.tier, 200_000);
  // prompt = 150,000 + 50,000 = 200,000, not over: input 150,000 x 3 = 0.45; read 50,000 x 0.30 = 0.015; output 1,000 x 15 = 0.015; total 0.48
  const at = price('claude-sonnet-4-5', { input_tokens: 150_000, cache_read_input_tokens: 50_000, output_tokens: 1_000 });
  assert.equal(usd(at.total), '0.48');
  assert.equal(at.tier, null);
  // Cache writes count toward the prompt: 1 input + 200,000 5m writes = 200,001.
  // input 1 x 6 = 0.000006; 5m 200,000 x 7.50 / 1e6 = 1.5; total 1.500006
  assert.equal(usd(price('claude-sonnet-4-5', { input_tokens: 1, cache_creation_input_tokens: 200_000 }).total), '1.500006');
  // Output length does not decide the tier: prompt 100,000, output 64,000 -> standard
  // 100,000 x 3 = 0.3; 64,000 x 15 = 0.96; total 1.26
  assert.equal(usd(price('claude-sonnet-4-5', { input_tokens: 100_000, output_tokens: 64_000 }).total), '1.26');
  // Sonnet 4 has the same tier; Sonnet 4.6 has none (full 1M at standard price): 250,000 x 3 = $0.75
  assert.equal(price('claude-sonnet-4-0', { input_tokens: 250_000 }).tier, 200_000);
  assert.equal(usd(price('claude-sonnet-4-6', { input_tokens: 250_000 }).total), '0.75');
  // Batch stacks on the tier: 0.9525006 / 2 = 0.4762503
  assert.equal(usd(price('claude-sonnet-4-5', { input_tokens: 150_000, cache_read_input_tokens: 50_001, output_tokens: 1_000 }, { batch: true }).total), '0.4762503');
});

test('Haiku 5.5 over 100K prompt tokens: the whole request at $0.50 / $2.50', () => {
  // prompt 100,001 > 100,000: input 100,001 x 0.50 / 1e6 = 0.0500005; output 2,000 x 2.50 / 1e6 = 0.005; total 0.0550005
  const over = price('claude-haiku-5-5', { input_tokens: 100_001, output_tokens: 2_000 });
  assert.equal(usd(over.total), '0.0550005');
  assert.equal(over.tier, 100_000);
  // prompt 100,000: input 100,000 x 0.10 = 0.01; output 2,000 x 0.50 = 0.001; total 0.011
  assert.equal(usd(price('claude-haiku-5-5', { input_tokens: 100_000, output_tokens: 2_000 }).total), '0.011');
  // Tier cache lines: 60,000 reads at 0.05 = 0.003; 50,000 5m writes at 0.625 = 0.03125 (prompt 110,000)
  assert.equal(usd(price('claude-haiku-5-5', { cache_read_input_tokens: 60_000, cache_creation_input_tokens: 50_000 }).total), '0.03425');
  // Batch on the tier's 5m write: 0.625 x 0.5 = 0.3125/MTok -> 50,000 x 0.3125 / 1e6 = 0.015625 (needs sub-nano precision)
  assert.equal(usd(price('claude-haiku-5-5', { input_tokens: 60_000, cache_creation_input_tokens: 50_000 }, { batch: true }).breakdown.cache_write_5m), '0.015625');
});

test('inference_geo "us" costs 1.1x on every token line; models before 4.6 reject it', () => {
  // Opus 4.7: input 10,000 x 5 = 0.05 -> x1.1 = 0.055; output 1,000 x 25 = 0.025 -> x1.1 = 0.0275; read 10,000 x 0.5 = 0.005 -> 0.0055
  // total 0.055 + 0.0275 + 0.0055 = 0.088
  const u = { input_tokens: 10_000, output_tokens: 1_000, cache_read_input_tokens: 10_000 };
  const p = price('claude-opus-4-7', { ...u, inference_geo: 'us' });
  assert.deepEqual(lines(p), ['0.055', '0', '0', '0.0055', '0.0275', '0']);
  assert.equal(usd(p.total), '0.088');
  assert.equal(p.geo, 'us');
  assert.equal(price('claude-opus-4-7', u, { geo: 'us' }).total, p.total);
  // "global" (the default), "" (Claude Code logs) and "not_available" (Usage API) are the standard price: 0.05 + 0.025 + 0.005 = 0.08
  for (const g of ['global', '', 'not_available']) assert.equal(usd(price('claude-opus-4-7', { ...u, inference_geo: g }).total), '0.08');
  // Stacks with batch: 10,000 x 5 x 0.5 x 1.1 / 1e6 = 0.0275
  assert.equal(usd(price('claude-opus-4-7', { input_tokens: 10_000, inference_geo: 'us' }, { batch: true }).total), '0.0275');
  // Web search fee is per search, not per token: not multiplied (2 x $0.01 = $0.02)
  assert.equal(usd(price('claude-opus-4-7', { server_tool_use: { web_search_requests: 2 }, inference_geo: 'us' }).total), '0.02');
  // Haiku 4.5 does not accept the field: the API answers 400, and so do we (no silent standard price).
  assert.throws(() => price('claude-haiku-4-5', { input_tokens: 1, inference_geo: 'us' }), (e: unknown) => e instanceof CostError && /does not accept inference_geo/.test(e.message));
  assert.throws(() => price('claude-opus-4-7', { input_tokens: 1, inference_geo: 'eu' }), /no price multiplier for inference_geo "eu"/);
});

test('fast mode replaces the base prices; it cannot combine with batch; models without it error', () => {
  // Opus 4.8 fast $10 / $50 (cache lines by the multipliers: 5m 12.50, read 1):
  // input 10,000 x 10 = 0.1; 5m 1,000 x 12.50 = 0.0125; read 10,000 x 1 = 0.01; output 1,000 x 50 = 0.05; total 0.1725
  const u: Usage = { input_tokens: 10_000, cache_creation_input_tokens: 1_000, cache_read_input_tokens: 10_000, output_tokens: 1_000, speed: 'fast' };
  const p = price('claude-opus-4-8', u);
  assert.equal(usd(p.total), '0.1725');
  assert.equal(p.fast, true);
  // and on top, inference_geo "us": 0.1725 x 1.1 = 0.18975
  assert.equal(usd(price('claude-opus-4-8', { ...u, inference_geo: 'us' }).total), '0.18975');
  // An Opus 4.6 log from the fast-mode preview (S-FEB26, $30 / $150): output 1,000 x 150 / 1e6 = 0.15
  assert.equal(usd(price('claude-opus-4-6', { output_tokens: 1_000 }, { fast: true }).total), '0.15');
  assert.throws(() => price('claude-opus-4-8', { ...u, service_tier: 'batch' }), /fast mode is not available with the Batch API/);
  assert.throws(() => price('claude-sonnet-4-6', { output_tokens: 1, speed: 'fast' }), /has no fast-mode price/);
  // "standard" is not fast: 1,000 x 25 = 0.025
  assert.equal(usd(price('claude-opus-4-8', { output_tokens: 1_000, speed: 'standard' }).total), '0.025');
});

test('web search: $10 per 1,000 searches, a flat fee per search', () => {
  // 3 x 10 / 1,000 = $0.03, plus 100 input x 3 / 1e6 = 0.0003
  const p = price('claude-sonnet-4-6', { input_tokens: 100, server_tool_use: { web_search_requests: 3, web_fetch_requests: 5 } });
  assert.equal(usd(p.breakdown.server_tools), '0.03');
  assert.equal(usd(p.total), '0.0303');
  assert.equal(p.webSearches, 3);
});

test('a compaction iteration is billed; a "message" iteration is not counted twice', () => {
  // Top level (the final message step): 23,000 in, 1,000 out. Compaction step: 180,000 in, 3,000 out (reference 7.2).
  // input (23,000 + 180,000) x 3 / 1e6 = 0.609; output (1,000 + 3,000) x 15 / 1e6 = 0.06; total 0.669
  const u: Usage = {
    input_tokens: 23_000,
    output_tokens: 1_000,
    iterations: [
      { type: 'compaction', input_tokens: 180_000, output_tokens: 3_000 },
      { type: 'message', input_tokens: 23_000, output_tokens: 1_000 },
    ],
  };
  const p = price('claude-sonnet-4-6', u);
  assert.equal(usd(p.total), '0.669');
  assert.equal(p.tokens.input, 203_000);
  // Without the iterations only the final step would be billed: 23,000 x 3 + 1,000 x 15 = 0.069 + 0.015 = 0.084
  assert.equal(usd(price('claude-sonnet-4-6', { input_tokens: 23_000, output_tokens: 1_000 }).total), '0.084');
  // Each step is its own sampling call and decides its own tier: on Sonnet 4.5 neither step is over 200,000.
  assert.equal(price('claude-sonnet-4-5', u).tier, null);
  // A compaction step over the threshold is at the tier rates: 210,000 x 6 = 1.26, + 3,000 x 22.50 = 0.0675; message step 0.069 + 0.015
  const big = price('claude-sonnet-4-5', { input_tokens: 23_000, output_tokens: 1_000, iterations: [{ type: 'compaction', input_tokens: 210_000, output_tokens: 3_000 }] });
  assert.equal(usd(big.total), '1.4115');
  assert.equal(big.tier, 200_000);
});

test('null and missing fields are zero; an aggregate cache_creation without a TTL split is 5m', () => {
  assert.equal(price('claude-sonnet-4-6', {}).total, 0n);
  const nulls: Usage = {
    input_tokens: null, output_tokens: 10, cache_creation_input_tokens: null, cache_read_input_tokens: null,
    cache_creation: null, server_tool_use: null, service_tier: null, inference_geo: null, speed: null, iterations: null,
  };
  // 10 x 15 / 1e6 = 0.00015
  assert.equal(usd(price('claude-sonnet-4-6', nulls).total), '0.00015');
  // No split: 1,000 x 3.75 / 1e6 = 0.00375, all 5m
  const agg = price('claude-sonnet-4-6', { cache_creation_input_tokens: 1_000 });
  assert.equal(usd(agg.breakdown.cache_write_5m), '0.00375');
  assert.equal(agg.breakdown.cache_write_1h, 0n);
  // Split short of the aggregate: 400 reported as 1h, the other 600 are 5m.
  // 600 x 3.75 = 0.00225; 400 x 6 = 0.0024
  const part = price('claude-sonnet-4-6', { cache_creation_input_tokens: 1_000, cache_creation: { ephemeral_1h_input_tokens: 400 } });
  assert.deepEqual([usd(part.breakdown.cache_write_5m), usd(part.breakdown.cache_write_1h)], ['0.00225', '0.0024']);
  // Negative or fractional junk from a broken log does not create money: -5 -> 0, 10.7 -> 10
  assert.equal(usd(price('claude-sonnet-4-6', { input_tokens: -5, output_tokens: 10.7 }).total), '0.00015');
});

test('aliases, dated ids and the "[1m]" suffix price identically; an unknown model errors and never falls back', () => {
  const want = price('claude-haiku-4-5-20251001', FULL).total;
  for (const id of ['claude-haiku-4-5', 'anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5@20251001', 'Claude-Haiku-4-5[1m]']) {
    assert.equal(price(id, FULL).total, want, id);
  }
  assert.throws(() => price('claude-opus-4-7-20991231', FULL), (e: unknown) => e instanceof UnknownModelError && e.message.includes('"claude-opus-4-7-20991231"'));
});

test('the widely shared "$15/$75 Opus, no cache writes" snippet is not what Opus 4.5+ costs', () => {
  const u: Usage = { input_tokens: 10_000, cache_creation_input_tokens: 20_000, output_tokens: 2_000 };
  // Snippet: 10,000 x 15 / 1e6 + 2,000 x 75 / 1e6 = 0.15 + 0.15 = 0.30 (and the 20,000 written tokens ignored)
  const snippet = '0.3';
  // Reference: 10,000 x 5 = 0.05; 20,000 5m writes x 6.25 = 0.125; 2,000 x 25 = 0.05; total 0.225
  for (const id of ['claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5']) {
    const p = price(id, u);
    assert.equal(usd(p.total), '0.225', id);
    assert.notEqual(usd(p.total), snippet);
    assert.equal(usd(p.breakdown.cache_write_5m), '0.125', `${id}: cache writes are billed`);
  }
  // The snippet's prices are right only for Opus 4 / 4.1 (and 3): 0.15 + 20,000 x 18.75 / 1e6 = 0.375 + 0.15 = 0.675
  assert.equal(usd(price('claude-opus-4-1', u).total), '0.675');
});

test('the breakdown adds up to the total', () => {
  const p = price('claude-opus-4-7', { ...FULL, server_tool_use: { web_search_requests: 7 }, inference_geo: 'us' });
  assert.equal(sumBreakdown(p.breakdown), p.total);
});
