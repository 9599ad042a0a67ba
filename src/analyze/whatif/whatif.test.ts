import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usdToPico } from '../../pricing/money.js';
import { aggregate } from '../aggregate.js';
import { addGenericRow } from '../generic.js';
import { RecordTable } from '../record-table.js';
import { testCatalog } from '../test-fixtures.js';
import { nth } from './levers.js';
import { whatIf } from './whatif.js';

/*
 * One sonnet session of three requests ten minutes apart (prices per MTok: in 3, 5m write 3.75, 1h write 6,
 * read 0.30, out 15; haiku: 1, 1.25, 2, 0.10, 5). The client used 5-minute entries, so each one expired before the
 * next request and every request wrote its whole prompt again:
 *   prompts 2000, 3000, 4000, all written at 5m; output 100 each.
 *   actual = (2000 + 3000 + 4000) x 3.75 + 300 x 15 = 33750 + 4500 = 38250 uUSD
 */
function session(): RecordTable {
  const t = new RecordTable();
  [2000, 3000, 4000].forEach((p, k) => {
    const problem = addGenericRow(t, {
      timestamp: Date.parse('2026-11-20T10:00:00Z') + k * 10 * 60_000,
      model: 'claude-sonnet-4-6',
      session: 's',
      input_tokens: 0,
      cache_write_5m_tokens: p,
      output_tokens: 100,
      stop_reason: 'end_turn',
    });
    assert.equal(problem, null);
  });
  return t;
}

test('what-if: caching replay picks 1h for 10-minute gaps; routing, combined and oracle worked by hand', () => {
  const table = session();
  const cat = testCatalog();
  const agg = aggregate(table, cat);
  assert.equal(agg.totals.cost, usdToPico('0.03825'));
  const w = whatIf(table, agg, cat);
  // the replay of the traffic as it was reproduces the bill exactly
  assert.equal(w.replayBaseline, usdToPico('0.03825'));
  const lever = (name: string) => w.levers.find((l) => l.lever === name)!;

  /* adaptive TTL: the next request comes after 5 minutes but within the hour -> 1h; the last one -> 5m.
   *   r1 write 2000 x 6 = 12000
   *   r2 read 2000 x 0.30 = 600, write 1000 x 6 = 6000
   *   r3 read 3000 x 0.30 = 900, write 1000 x 3.75 = 3750
   *   output 300 x 15 = 4500; total 27750; saving 38250 - 27750 = 10500 uUSD */
  assert.equal(lever('caching').saving, usdToPico('0.0105'));
  assert.equal(lever('caching').cost, usdToPico('0.02775'));
  // all 1h: the last write costs 1000 x 6 = 6000 instead of 3750 -> 30000, saving 8250; all 5m: nothing changes
  assert.equal(lever('caching').detail['saving_all_1h_usd'], 0.00825);
  assert.equal(lever('caching').detail['saving_all_5m_usd'], 0);

  /* routing: every answer short, none truncated -> the session moves to haiku (same tokenizer, same tokens),
   * cache pattern as observed: 9000 x 1.25 + 300 x 5 = 11250 + 1500 = 12750; saving 25500 */
  assert.equal(lever('routing').saving, usdToPico('0.0255'));
  assert.equal(lever('routing').detail['requests_demoted'], 3);

  // nothing deferrable, no prompt near the compression trigger, no answer above the p99 cap
  assert.equal(lever('batching').saving, 0n);
  assert.equal(lever('compression').saving, 0n);
  assert.equal(lever('output_caps').saving, 0n);

  /* all together (haiku, adaptive TTL): r1 2000 x 2 = 4000; r2 2000 x 0.10 + 1000 x 2 = 2200;
   * r3 3000 x 0.10 + 1000 x 1.25 = 1550; output 300 x 5 = 1500; total 9250; saving 29000 -- not the sum of
   * the caching and routing savings (36000): the levers interact. */
  assert.equal(w.combined.saving, usdToPico('0.029'));
  assert.notEqual(w.combined.saving, lever('caching').saving + lever('routing').saving);
  assert.deepEqual(w.waterfall.map((s) => s.cost), [usdToPico('0.02775'), usdToPico('0.00925'), usdToPico('0.00925'), usdToPico('0.00925'), usdToPico('0.00925')]);

  /* oracle floor (same model, batch prices = half, perfect cache, writes only for reused tokens):
   *   r1 write 2000 x 1.875 = 3750;  r2 read 2000 x 0.15 = 300, write 1000 x 1.875 = 1875;
   *   r3 read 3000 x 0.15 = 450, input 1000 x 1.5 = 1500;  output 300 x 7.5 = 2250;  total 10125 */
  assert.equal(w.oracle.cost, usdToPico('0.010125'));
});

/*
 * Compression priced against the cache it breaks. Prompts 60k, 90k, 120k, 150k tokens, 2 minutes apart, each one
 * reading the previous prompt from cache and writing 30k more (5m). Baseline:
 *   r1 write 60000 x 3.75 = 225000; r2..r4 read 60k/90k/120k x 0.30 = 18000 + 27000 + 36000, write 3 x 30000 x 3.75
 *   = 337500; output 2000 x 15 = 30000; total 673500 uUSD.
 * Compression (trigger 100k, keep the last turn, 2k summary by haiku; base = the smallest prompt, 60k):
 *   r3: 120k -> 60k + 2k + 30k = 92k; summary call 30k x 1 + 2k x 5 = 40000; cache breaks after the base
 *   r4: 150k - 28k = 122k -> 92k again; summary 32k x 1 + 10000 = 42000
 *   replay: r1 225000; r2 18000 + 112500; r3 read 60k 18000 + write 32k 120000; r4 read 60k 18000 + write 32k
 *   120000; output 30000; summaries 82000; total 743500 -> saving -70000 uUSD: here it does not pay.
 */
test('what-if: compression shortens prompts but pays for summaries and the cache it breaks', () => {
  const t = new RecordTable();
  [60_000, 90_000, 120_000, 150_000].forEach((p, k) => {
    addGenericRow(t, { timestamp: Date.parse('2026-11-20T10:00:00Z') + k * 120_000, model: 'claude-sonnet-4-6', session: 's', cache_read_tokens: k === 0 ? 0 : p - 30_000, cache_write_5m_tokens: k === 0 ? p : 30_000, output_tokens: 500 });
  });
  const cat = testCatalog();
  const agg = aggregate(t, cat);
  const w = whatIf(t, agg, cat, { compression: { triggerTokens: 100_000, keepTurns: 1, summaryTokens: 2_000 } });
  assert.equal(w.replayBaseline, usdToPico('0.6735'));
  assert.equal(w.replayBaseline, agg.totals.cost);
  const c = w.levers.find((l) => l.lever === 'compression')!;
  assert.equal(c.detail['compactions'], 2);
  assert.equal(c.saving, -usdToPico('0.07'));
});

/*
 * With request bodies the shared prefix comes from block hashes (src/wire/prefix.ts), not from prompt growth.
 * Two sonnet requests a minute apart; the prompt grew 2000 -> 3000 but the system prompt changed (Claude Code's
 * cache-buster), so the API read nothing: actual = 5000 x 3.75 + 200 x 15 = 21750 uUSD.
 * - without bodies the replay assumes the grown prompt shares the first one: r2 reads 2000 x 0.30 = 600 and writes
 *   1000 x 3.75 = 3750; with r1's 7500 and output 3000 the replay of the traffic as it was says 14850, 6900 uUSD
 *   below the real bill (shown as the replay error, never as a saving).
 * - with bodies the hashes differ from the system block on: nothing is shared and the replay matches the bill.
 */
test('what-if: request bodies decide the shared prefix by hashes, so a changed system prompt shares nothing', () => {
  const cat = testCatalog();
  const rows = (withBodies: boolean): RecordTable => {
    const t = new RecordTable();
    const bodies = [
      { model: 'claude-sonnet-4-6', max_tokens: 1000, system: 'You are A, a helpful assistant.', messages: [{ role: 'user', content: 'q1' }] },
      { model: 'claude-sonnet-4-6', max_tokens: 1000, system: 'You are B, a helpful assistant.', messages: [{ role: 'user', content: 'q1' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'q2' }] },
    ];
    [2000, 3000].forEach((p, k) => {
      addGenericRow(t, { timestamp: Date.parse('2026-11-20T10:00:00Z') + k * 60_000, model: 'claude-sonnet-4-6', session: 's', cache_write_5m_tokens: p, output_tokens: 100, ...(withBodies ? { request: bodies[k] } : {}) });
    });
    return t;
  };
  const replay = (t: RecordTable): { baseline: bigint; engine: string } => {
    const agg = aggregate(t, cat);
    assert.equal(agg.totals.cost, usdToPico('0.02175'));
    const w = whatIf(t, agg, cat);
    return { baseline: w.replayBaseline, engine: w.cacheEngine };
  };
  const blind = replay(rows(false));
  assert.equal(blind.baseline, usdToPico('0.01485'));
  assert.doesNotMatch(blind.engine, /block hashes/);
  const hashed = replay(rows(true));
  assert.equal(hashed.baseline, usdToPico('0.02175'));
  assert.match(hashed.engine, /block hashes \(src\/wire\/prefix\.ts\) for 2 requests/);
});

test('output caps: the selected percentile value is the one a full sort puts there', () => {
  let seed = 11;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 300; round++) {
    const a = Float64Array.from({ length: 1 + rand(400) }, () => rand(round % 3 === 0 ? 5 : 100_000));
    const sorted = Float64Array.from(a).sort();
    const k = rand(a.length);
    assert.equal(nth(Float64Array.from(a), k), sorted[k]);
  }
});
