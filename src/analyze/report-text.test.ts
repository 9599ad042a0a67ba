import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, weekKey } from './aggregate.js';
import { readClaudeCode } from './claude-code.js';
import { table, usd } from './report-text.js';
import { fixturePath, testCatalog } from './test-fixtures.js';

test('tables fit the terminal: columns dropped by priority, long keys shortened, cost always kept', async () => {
  const { table: t } = await readClaudeCode([fixturePath('claude-code')], { jobs: 1 });
  const agg = aggregate(t, testCatalog(), { by: 'session' });
  const wide = table('By session', 'session', agg.groups, 200);
  assert.match(wide, /unread writes/);
  for (const width of [100, 60, 40]) {
    const out = table('By session', 'session', agg.groups, width);
    for (const line of out.split('\n').slice(1)) assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
    assert.match(out, /cost/);
  }
  assert.doesNotMatch(table('By session', 'session', agg.groups, 60), /unread writes/);
});

test('money for tables: cents above a dollar with thousands separators, four decimals below', () => {
  assert.equal(usd(6_475_990_000_000_000n), '$6,475.99');
  assert.equal(usd(56_590_000_000n), '$0.0566');
  assert.equal(weekKey(Date.parse('2026-11-22T23:00:00Z')), 'week of 2026-11-16'); // a Sunday belongs to the week of its Monday
});
