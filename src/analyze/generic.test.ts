import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usdToPico } from '../pricing/money.js';
import { aggregate } from './aggregate.js';
import { readGeneric, splitCsv } from './generic.js';
import { detectKind } from './sources.js';
import { fixturePath, testCatalog } from './test-fixtures.js';
import { whatIf } from './whatif/whatif.js';

/*
 * fixtures/generic.jsonl (USD per million tokens: sonnet in 3 / out 15, opus 5 / 25, haiku 1 / 5):
 *   j1 sonnet, flat columns, deferrable: 400 x 3 + 100 x 15 = 1200 + 1500 = 2700 uUSD
 *   j2 opus, usage object, epoch-ms timestamp, tags as "team=ads;feature=faq": 200 x 5 + 40 x 25 = 2000 uUSD
 *   a cut line (not JSON) and a row without a model: 2 malformed
 *   j3 haiku alias, tag defer=1h, written twice with the same message/request ids: 1000 x 1 + 200 x 5 = 2000 uUSD
 *   total 2700 + 2000 + 2000 = 6700 uUSD
 */
test('generic JSONL: flat columns or usage object, tags, duplicates and malformed rows', async () => {
  assert.equal(detectKind(fixturePath('generic.jsonl')), 'jsonl');
  const { table, stats } = await readGeneric(fixturePath('generic.jsonl'), 'jsonl');
  assert.equal(stats.malformed, 2);
  assert.match(stats.malformedSamples[1] ?? '', /generic\.jsonl:4: model/);
  assert.equal(stats.duplicates, 1);
  const cat = testCatalog();
  const agg = aggregate(table, cat, { by: 'tag' });
  assert.equal(agg.totals.requests, 3);
  assert.equal(agg.totals.cost, usdToPico('0.0067'));
  const byTag = Object.fromEntries(agg.groups.map((g) => [g.key, g.cost]));
  assert.deepEqual(byTag, {
    'team=search': usdToPico('0.0047'), // 2700 + 2000
    'team=ads': usdToPico('0.002'),
    'feature=faq': usdToPico('0.002'),
    'defer=1h': usdToPico('0.002'),
  });
  assert.deepEqual(aggregate(table, cat, { by: 'project' }).groups.map((g) => [g.key, g.requests]), [['(none)', 2], ['faq-bot', 1]]); // by cost: 4700 then 2000
  // Batching: j1 (deferrable) and j3 (tag defer) at 50% off; prompts are under the minimum cacheable length, so
  // the replay reproduces them exactly: saving = (2700 + 2000) / 2 = 2350 uUSD.
  const w = whatIf(table, agg, cat);
  const batching = w.levers.find((l) => l.lever === 'batching');
  assert.equal(batching?.saving, usdToPico('0.00235'));
  assert.equal(batching?.detail['requests_batched'], 2);
  assert.equal(w.replayBaseline, agg.totals.cost);
});

/*
 * fixtures/generic.csv: c1 sonnet, 1h write via cache_write_1h_tokens, then a read, then a row without a model.
 *   10 x 3 + 2000 x 6 + 100 x 15 = 30 + 12000 + 1500 = 13530 uUSD
 *   10 x 3 + 2000 x 0.30 + 50 x 15 = 30 + 600 + 750   =  1380 uUSD   (truncated: max_tokens)
 *   total 14910 uUSD
 */
test('generic CSV: header row, quoted cells, tags, truncations', async () => {
  assert.equal(detectKind(fixturePath('generic.csv')), 'csv');
  const { table, stats } = await readGeneric(fixturePath('generic.csv'), 'csv');
  assert.equal(stats.malformed, 1);
  const agg = aggregate(table, testCatalog(), { by: 'session' });
  assert.equal(agg.totals.cost, usdToPico('0.01491'));
  assert.equal(agg.totals.tokens.cache_write_1h, 2000);
  assert.equal(agg.totals.truncations, 1);
  assert.deepEqual(table.tags(0), { team: 'a', note: 'says "hi"' });
  assert.deepEqual(splitCsv('a,"b,c",,"d""e"'), ['a', 'b,c', '', 'd"e']);
});
