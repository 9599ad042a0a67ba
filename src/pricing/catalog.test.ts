/**
 * The shipped catalog against the reference: every model the issue lists resolves by its ids and aliases, and every
 * price line follows the multipliers the pricing page states (so a typo in data/catalog.json fails here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultCatalogPath, getDefaultCatalog, UnknownModelError, type CatalogModel } from './catalog.js';
import { loadCatalog, parseCatalog } from './catalog-load.js';
import { parseRatio, perMTokToPicoPerToken, scaleRate } from './money.js';

const catalog = getDefaultCatalog();

test('the shipped catalog passes the schema as written (no field stripped or defaulted away)', () => {
  const raw = JSON.parse(readFileSync(defaultCatalogPath(), 'utf8')) as { models: Record<string, unknown>[] };
  const parsed = parseCatalog(raw);
  raw.models.forEach((m, i) => {
    for (const key of Object.keys(m)) assert.ok(key in parsed.models[i]!, `${String(m['id'])}: field "${key}" is not in the schema`);
  });
  // The running catalog reads the file without the schema (catalog.ts): that is exact only while the schema would
  // change nothing in it, defaults included.
  assert.deepStrictEqual(parsed, raw);
  assert.deepStrictEqual(catalog.data, parsed);
});

// The list, by the id a user would type (reference 1.2).
const EXPECTED: Record<string, string> = {
  'claude-opus-4-7': 'claude-opus-4-7',
  'claude-sonnet-4-6': 'claude-sonnet-4-6',
  'claude-haiku-4-5': 'claude-haiku-4-5-20251001',
  'claude-opus-4-0': 'claude-opus-4-20250514',
  'claude-opus-4-1': 'claude-opus-4-1-20250805',
  'claude-opus-4-5': 'claude-opus-4-5-20251101',
  'claude-opus-4-6': 'claude-opus-4-6',
  'claude-opus-4-8': 'claude-opus-4-8',
  'claude-opus-5': 'claude-opus-5',
  'claude-opus-5-5': 'claude-opus-5-5',
  'claude-sonnet-4-0': 'claude-sonnet-4-20250514',
  'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
  'claude-sonnet-5': 'claude-sonnet-5',
  'claude-sonnet-5-5': 'claude-sonnet-5-5',
  'claude-3-haiku-20240307': 'claude-3-haiku-20240307',
  'claude-3-5-haiku-20241022': 'claude-3-5-haiku-20241022',
  'claude-haiku-5-5': 'claude-haiku-5-5',
  'claude-fable-5': 'claude-fable-5',
  'claude-fable-5-1': 'claude-fable-5-1',
  'claude-mythos-5': 'claude-mythos-5',
  'claude-mythos-5-1': 'claude-mythos-5-1',
  'claude-3-7-sonnet-20250219': 'claude-3-7-sonnet-20250219',
  'claude-3-opus-20240229': 'claude-3-opus-20240229',
};

test('every model of the issue resolves, by API id, alias, dated id and Bedrock/Vertex id', () => {
  for (const [id, canonical] of Object.entries(EXPECTED)) assert.equal(catalog.resolve(id).entry.id, canonical, id);
  assert.equal(catalog.resolve('claude-haiku-4-5-20251001').entry.id, 'claude-haiku-4-5-20251001');
  assert.equal(catalog.resolve('anthropic.claude-haiku-4-5-20251001-v1:0').entry.id, 'claude-haiku-4-5-20251001');
  assert.equal(catalog.resolve('claude-haiku-4-5@20251001').entry.id, 'claude-haiku-4-5-20251001');
  assert.equal(catalog.resolve('anthropic.claude-opus-4-6-v1').entry.id, 'claude-opus-4-6');
  assert.equal(catalog.resolve('claude-opus-4-1@20250805').entry.id, 'claude-opus-4-1-20250805');
  // Claude Code writes the 1M-context variant with a suffix.
  assert.equal(catalog.resolve('claude-opus-4-7[1m]').entry.id, 'claude-opus-4-7');
  assert.equal(catalog.resolve('claude-sonnet-4-5-20250929[1m]').entry.id, 'claude-sonnet-4-5-20250929');
  assert.equal(catalog.models().length, Object.keys(EXPECTED).length);
});

test('an unknown model is an error naming it and saying how to add it; no near match is used', () => {
  for (const id of ['claude-opus-9', 'claude-opus-4-7-preview', 'opus', 'claude-sonnet-4', 'gpt-4o']) {
    assert.throws(() => catalog.resolve(id), (e: unknown) => e instanceof UnknownModelError && e.message.includes(`"${id}"`) && e.message.includes('"pricing"'));
    assert.equal(catalog.tryResolve(id), undefined);
  }
});

function rate(m: CatalogModel, line: 'input' | 'cache_write_5m' | 'cache_write_1h' | 'cache_read' | 'output'): bigint {
  return m.standard[line];
}

test('cache lines follow the stated multipliers: 5m write 1.25x, 1h write 2x, read 0.1x (0.05x Opus 5.5, 0.025x Fable/Mythos 5.1)', () => {
  const readRatio: Record<string, string> = { 'claude-opus-5-5': '0.05', 'claude-fable-5-1': '0.025', 'claude-mythos-5-1': '0.025' };
  for (const e of catalog.models()) {
    if (e.id === 'claude-3-haiku-20240307') continue; // published as 0.30 / 0.50 / 0.03 on $0.25: checked below
    const m = catalog.resolve(e.id);
    const sets = [m.standard, ...m.tiers.map((t) => t.rates), ...(m.fast ? [m.fast] : [])];
    for (const r of sets) {
      assert.equal(r.cache_write_5m, scaleRate(r.input, parseRatio('1.25')), `${e.id} 5m write`);
      assert.equal(r.cache_write_1h, scaleRate(r.input, parseRatio('2')), `${e.id} 1h write`);
      assert.equal(r.cache_read, scaleRate(r.input, parseRatio(readRatio[e.id] ?? '0.1')), `${e.id} cache read`);
    }
    // Output is 5x input on every standard row (reference 1.1 notes).
    assert.equal(rate(m, 'output'), rate(m, 'input') * 5n, `${e.id} output/input`);
  }
  const h3 = catalog.resolve('claude-3-haiku-20240307');
  assert.deepEqual([h3.standard.input, h3.standard.cache_write_5m, h3.standard.cache_write_1h, h3.standard.cache_read, h3.standard.output], [250_000n, 300_000n, 500_000n, 30_000n, 1_250_000n]);
});

test('Opus 4.5 and later are $5/$25, not the $15/$75 of Opus 4/4.1', () => {
  for (const id of ['claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5']) {
    const m = catalog.resolve(id);
    assert.equal(m.standard.input, perMTokToPicoPerToken('5'), id);
    assert.equal(m.standard.output, perMTokToPicoPerToken('25'), id);
  }
  assert.equal(catalog.resolve('claude-opus-4-1').standard.input, perMTokToPicoPerToken('15'));
});

test('tiers, fast mode, inference_geo and tokenizer are where the reference puts them', () => {
  const tiered = catalog.models().filter((e) => e.tiers.length > 0).map((e) => `${e.id}>${e.tiers[0]!.above_prompt_tokens}`);
  assert.deepEqual(tiered.sort(), ['claude-haiku-5-5>100000', 'claude-sonnet-4-20250514>200000', 'claude-sonnet-4-5-20250929>200000']);
  const fast = catalog.models().filter((e) => e.fast).map((e) => `${e.id}:${e.fast!.input}/${e.fast!.output}:${e.supports.fast}`);
  assert.deepEqual(fast.sort(), ['claude-opus-4-6:30/150:false', 'claude-opus-4-7:30/150:false', 'claude-opus-4-8:10/50:true', 'claude-opus-5:10/50:true']);
  // inference_geo: Claude 4.6 and later only.
  const pre46 = ['claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-5', 'claude-opus-4-1', 'claude-opus-4-0', 'claude-sonnet-4-0', 'claude-3-haiku-20240307', 'claude-3-5-haiku-20241022', 'claude-3-7-sonnet-20250219', 'claude-3-opus-20240229'];
  for (const e of catalog.models()) {
    const isPre46 = pre46.some((id) => catalog.resolve(id).entry.id === e.id);
    assert.equal(e.inference_geo === null, isPre46, `${e.id} inference_geo`);
    if (!isPre46) assert.equal(e.inference_geo?.['us'], '1.1', e.id);
  }
  const newTokenizer = catalog.models().filter((e) => e.tokenizer === 'claude-2026').map((e) => e.id).sort();
  assert.deepEqual(newTokenizer, ['claude-fable-5', 'claude-fable-5-1', 'claude-haiku-5-5', 'claude-mythos-5', 'claude-mythos-5-1', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5', 'claude-sonnet-5', 'claude-sonnet-5-5']);
  for (const e of catalog.models()) {
    assert.ok(e.source.length > 10 && /^\d{4}-\d{2}/.test(e.source_date), `${e.id} names its source and date`);
    assert.equal(e.batch_multiplier, '0.5', e.id);
  }
});

test('minimum cacheable prompt per model (reference 2.3, S-SEP26)', () => {
  const want: Record<string, number> = {
    'claude-opus-5': 512, 'claude-fable-5-1': 512, 'claude-opus-4-7': 2048, 'claude-opus-4-6': 4096, 'claude-opus-4-5': 4096,
    'claude-opus-4-8': 1024, 'claude-sonnet-5': 1024, 'claude-sonnet-4-6': 1024, 'claude-haiku-4-5': 4096, 'claude-3-5-haiku-20241022': 2048,
  };
  for (const [id, n] of Object.entries(want)) assert.equal(catalog.resolve(id).entry.min_cacheable_tokens, n, id);
});

test('loadCatalog accepts a catalog given as data and rejects one with a bad price, naming the field', () => {
  const raw = JSON.parse(readFileSync(defaultCatalogPath(), 'utf8')) as { models: { prices: { output: string } }[] };
  raw.models[1]!.prices.output = '15 USD';
  assert.throws(() => loadCatalog({ data: raw }), /catalog\.models\[1\]\.prices\.output/);
});
