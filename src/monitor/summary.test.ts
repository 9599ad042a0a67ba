import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usdToPico } from '../pricing/money.js';
import type { UsageRecord } from '../store/record.js';
import { summarize } from './summary.js';

const NOW = Date.UTC(2026, 10, 16, 0, 0); // half of November (30 days) has passed

function rec(at: number, cost: string, extra: Partial<UsageRecord> = {}): UsageRecord {
  const c = usdToPico(cost);
  return {
    id: `r${at}`, requestId: null, messageId: null, source: 'gateway', endpoint: 'messages', method: 'POST', path: '/v1/messages',
    startedAt: at, firstByteAt: at + 100, endedAt: at + 500, requestedModel: 'claude-sonnet-4-6', servedModel: 'claude-sonnet-4-6',
    stream: false, status: 200, outcome: 'ok', stopReason: 'end_turn', errorType: null, usage: null,
    inputTokens: 100, outputTokens: 50, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 300, webSearchRequests: 0,
    costPico: c, baselinePico: c + usdToPico('0.25'), savingsPico: { caching: usdToPico('0.25') },
    keyHash: 'k1', keyLast4: 'abcd', userId: null, sessionId: 's1', tags: { team: 'a' }, batchId: null, customId: null,
    retries: 0, maxTokens: 100, prefix: [], decisions: [], promptText: null, ...extra,
  };
}

test('spend now, today, this month and the month-end projection, exactly', () => {
  const records = [
    rec(Date.UTC(2026, 9, 31, 12), '100'), // last month
    rec(Date.UTC(2026, 10, 2), '5', { servedModel: 'claude-haiku-4-5', tags: { team: 'b' }, sessionId: null }),
    rec(NOW - 2 * 3_600_000, '2'),
    rec(NOW - 10 * 60_000, '1', { outcome: 'error', status: 500 }),
  ];
  const s = summarize(records, () => true, { now: NOW });
  assert.equal(s.totals.requests, 4);
  assert.equal(s.totals.cost_pico, usdToPico('108').toString());
  assert.equal(s.totals.savings_pico, usdToPico('1').toString());
  assert.equal(s.totals.errors, 1);
  assert.equal(s.spend.last_hour_usd, 1);
  assert.equal(s.spend.today_pico, '0', 'NOW is midnight: nothing today yet');
  assert.equal(s.spend.month_pico, usdToPico('8').toString());
  assert.equal(s.spend.month_projection_usd, 16, 'half the month gone: twice what it spent so far');
  assert.equal(s.cache.hit_rate, 300 / 400);
  assert.equal(s.savings_by_lever.caching, 1);
  assert.deepEqual(s.by_model.map((g) => [g.name, g.requests]), [['claude-sonnet-4-6', 3], ['claude-haiku-4-5', 1]]);
  assert.deepEqual(s.by_tag.map((g) => g.name), ['team=a', 'team=b']);
  assert.deepEqual(s.by_session.map((g) => [g.name, g.requests]), [['s1', 3]]);
  assert.equal(s.hourly.length, 24);
  assert.equal(s.hourly.reduce((a, h) => a + h.cost_usd, 0), 3);
});

test('a range narrows the totals and groups but not the spend cards', () => {
  const records = [rec(NOW - 3 * 86_400_000, '4'), rec(NOW - 3_600_000, '1')];
  const s = summarize(records, (r) => r.startedAt >= NOW - 86_400_000, { now: NOW });
  assert.equal(s.totals.requests, 1);
  assert.equal(s.totals.cost_usd, 1);
  assert.equal(s.spend.month_usd, 5);
});

test('spend now stays exact over hours of traffic: one request a second for three hours', () => {
  // 10,800 distinct seconds: more than the rollup keeps, so it prunes while adding; only the last hour counts.
  const records = Array.from({ length: 3 * 3600 }, (_, i) => rec(NOW - (3 * 3600 - i) * 1000, i % 2 === 0 ? '0.01' : '0.02'));
  const s = summarize(records, () => true, { now: NOW });
  // Seconds NOW-3600 .. NOW-1 started in the last hour: 3,600 requests, half at 1 cent and half at 2.
  assert.equal(s.spend.last_hour_usd, 54);
  assert.equal(s.totals.requests, 3 * 3600);
});
