/**
 * Price overrides from the config file's "pricing" section: a negotiated discount patches a known model, a model
 * released tomorrow is added in full, and a bad value is an error naming the field path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CatalogError, defaultCatalogPath } from './catalog.js';
import { loadCatalog } from './catalog-load.js';
import { priceUsage } from './cost.js';
import { formatUsdExact } from './money.js';

const NEW_MODEL = {
  id: 'claude-opus-6',
  name: 'Claude Opus 6',
  family: 'opus',
  aliases: ['claude-opus-6-20261201'],
  status: 'active',
  tokenizer: 'claude-2026',
  context_window: 1_000_000,
  max_output: 128_000,
  min_cacheable_tokens: 512,
  prices: { input: '4', cache_write_5m: '5', cache_write_1h: '8', cache_read: '0.40', output: '20' },
  source: 'our account manager, email of 2026-12-01',
  source_date: '2026-12-01',
};

test('a negotiated discount patches a known model, found by any of its ids, and keeps the rest of the entry', () => {
  const catalog = loadCatalog({
    overrides: { models: [{ id: 'claude-haiku-4-5', prices: { input: '0.80', output: '4' } }] },
  });
  const m = catalog.resolve('claude-haiku-4-5-20251001');
  assert.equal(m.entry.id, 'claude-haiku-4-5-20251001');
  // 1,000,000 input x 0.80 / 1e6 = 0.8; 1,000,000 output x 4 / 1e6 = 4; 5m write untouched: 1,000,000 x 1.25 / 1e6 = 1.25
  const p = priceUsage(catalog, 'claude-haiku-4-5', { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_creation_input_tokens: 1_000_000 });
  assert.equal(formatUsdExact(p.total), '6.05');
  assert.equal(m.entry.min_cacheable_tokens, 4096);
  assert.deepEqual(m.entry.aliases, ['claude-haiku-4-5', 'anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5@20251001']);
  assert.match(m.entry.source, /patched by the config file \(prices\)/);
  // The shipped catalog is not changed by someone else's overrides.
  assert.equal(formatUsdExact(priceUsage(loadCatalog(), 'claude-haiku-4-5', { input_tokens: 1_000_000 }).total), '1');
});

test('a new model is added in full and prices like any other', () => {
  const catalog = loadCatalog({ overrides: { models: [NEW_MODEL], server_tools: { web_search_per_1000: '8' } } });
  // 10,000 x 4 / 1e6 = 0.04; 1,000 x 20 / 1e6 = 0.02; 2 searches x 8 / 1,000 = 0.016; total 0.076
  const p = priceUsage(catalog, 'claude-opus-6-20261201', { input_tokens: 10_000, output_tokens: 1_000, server_tool_use: { web_search_requests: 2 } });
  assert.equal(formatUsdExact(p.total), '0.076');
  assert.equal(p.model, 'claude-opus-6');
  // Defaults fill what a new entry may leave out: batch 0.5, no tiers, no fast, no inference_geo.
  assert.equal(formatUsdExact(priceUsage(catalog, 'claude-opus-6', { input_tokens: 10_000 }, { batch: true }).total), '0.02');
  assert.throws(() => priceUsage(catalog, 'claude-opus-6', { input_tokens: 1, inference_geo: 'us' }), /does not accept inference_geo/);
});

test('a bad value is an error naming the field path', () => {
  assert.throws(
    () => loadCatalog({ overrides: { models: [{ id: 'claude-sonnet-4-6', prices: { input: 'cheap' } }] } }),
    (e: unknown) => e instanceof CatalogError && e.message.includes('"claude-sonnet-4-6"') && e.message.includes('pricing.models[0].prices.input') && e.message.includes('decimal'),
  );
  const { name: _name, ...noName } = NEW_MODEL;
  assert.throws(() => loadCatalog({ overrides: { models: [{ id: 'claude-sonnet-4-6' }, noName] } }), /pricing\.models\[1\]\.name/);
  assert.throws(() => loadCatalog({ overrides: { models: [{ ...NEW_MODEL, status: 'beta' }] } }), /pricing\.models\[0\]\.status/);
  assert.throws(() => loadCatalog({ overrides: { models: [{ ...NEW_MODEL, tiers: [{ above_prompt_tokens: -1, prices: NEW_MODEL.prices }] }] } }), /pricing\.models\[0\]\.tiers\[0\]\.above_prompt_tokens/);
  assert.throws(() => loadCatalog({ overrides: { server_tools: { web_search_per_1000: 10 } } }), /pricing\.server_tools\.web_search_per_1000/);
  assert.throws(() => loadCatalog({ overrides: { models: [{ prices: {} }] } }), /pricing\.models\[0\]\.id/);
  assert.throws(() => loadCatalog({ overrides: 'cheap please' }), /invalid price overrides/);
});

test('two models claiming one id is an error naming both', () => {
  assert.throws(
    () => loadCatalog({ overrides: { models: [{ ...NEW_MODEL, aliases: ['claude-opus-4-7'] }] } }),
    (e: unknown) => e instanceof CatalogError && e.message.includes('"claude-opus-4-7"') && e.message.includes('"claude-opus-6"'),
  );
  // Case and the "[1m]" suffix do not make a different id.
  assert.throws(() => loadCatalog({ overrides: { models: [{ ...NEW_MODEL, aliases: ['Claude-Sonnet-4-6[1m]'] }] } }), /claimed by both/);
});

test('the override example in the README is a valid config and prices as it says', () => {
  const readme = readFileSync(new URL('../README.md', defaultCatalogPath()), 'utf8');
  const section = readme.slice(readme.indexOf('## Prices and the cost engine'));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the README section has a JSON example');
  const config = JSON.parse(block[1]!) as { pricing: unknown };
  const catalog = loadCatalog({ overrides: config.pricing });
  // Sonnet 4.6 at the example's 20% discount: 1,000,000 x 2.40 / 1e6 = 2.4; the example's new model: 1,000,000 x 4 / 1e6 = 4
  assert.equal(formatUsdExact(priceUsage(catalog, 'claude-sonnet-4-6', { input_tokens: 1_000_000 }).total), '2.4');
  assert.equal(formatUsdExact(priceUsage(catalog, 'claude-opus-6-20261201', { input_tokens: 1_000_000 }).total), '4');
});
