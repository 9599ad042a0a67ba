import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usdToPico } from '../pricing/money.js';
import { BudgetLedger } from './budget-ledger.js';
import { parseBudgets, parseBudgetShorthand, toRules, type BudgetRule } from './budget-config.js';
import { ConfigError } from '../config.js';

const global = (limit: string, extra: Partial<BudgetRule> = {}): BudgetRule => ({
  name: 'g', scope: { kind: 'global' }, period: 'day', limitPico: usdToPico(limit), mode: 'hard', action: 'refuse', demoteTo: null, ...extra,
});
const anyone = { keyHash: null, tags: {} };

test('a hard budget reserves until spent + in flight would pass the limit, then refuses naming the budget', () => {
  const l = new BudgetLedger([global('1')]);
  const a = l.reserve(anyone, usdToPico('0.6'));
  assert.equal(a.ok, true);
  const b = l.reserve(anyone, usdToPico('0.5'));
  assert.equal(b.ok, false);
  if (!b.ok) {
    assert.equal(b.rule.name, 'g');
    assert.equal(b.status.inFlight, usdToPico('0.6'));
  }
  // the refused request reserved nothing
  assert.equal(l.status()[0]!.inFlight, usdToPico('0.6'));
  assert.equal(l.reserve(anyone, usdToPico('0.4')).ok, true, 'exactly up to the limit is allowed');
});

test('settle swaps the reservation for the real cost; release and a second settle free it once', () => {
  const l = new BudgetLedger([global('1')]);
  const r = l.reserve(anyone, usdToPico('0.5'));
  assert.ok(r.ok);
  assert.equal(l.settle(r.reservation, usdToPico('0.1')), true);
  assert.equal(l.settle(r.reservation, usdToPico('0.1')), false, 'settling twice does nothing');
  const s = l.status()[0]!;
  assert.equal(s.spent, usdToPico('0.1'));
  assert.equal(s.inFlight, 0n);
  assert.equal(s.remaining, usdToPico('0.9'));
  const r2 = l.reserve(anyone, usdToPico('0.9'));
  assert.ok(r2.ok);
  assert.equal(l.release(r2.reservation), true);
  assert.equal(l.status()[0]!.inFlight, 0n);
  assert.equal(l.status()[0]!.spent, usdToPico('0.1'));
});

test('budgets apply by key and by tag only to matching requests; soft budgets never refuse', () => {
  const rules: BudgetRule[] = [
    { name: 'k', scope: { kind: 'key', keyHash: 'abc', label: 'team-a' }, period: 'month', limitPico: usdToPico('1'), mode: 'hard', action: 'refuse', demoteTo: null },
    { name: 't', scope: { kind: 'tag', tag: 'team', value: 'search' }, period: 'day', limitPico: usdToPico('1'), mode: 'soft', action: 'alert', demoteTo: null },
  ];
  const l = new BudgetLedger(rules);
  assert.equal(l.reserve({ keyHash: 'zzz', tags: {} }, usdToPico('5')).ok, true, 'no budget covers this request');
  assert.equal(l.reserve({ keyHash: 'abc', tags: {} }, usdToPico('1.5')).ok, false);
  const soft = l.reserve({ keyHash: null, tags: { team: 'search' } }, usdToPico('1.5'));
  assert.ok(soft.ok);
  assert.deepEqual(soft.softOver.map((r) => r.name), ['t']);
});

test('a new day starts from zero; spend loaded from before the period does not count', () => {
  let now = Date.UTC(2026, 10, 24, 23, 0);
  const l = new BudgetLedger([global('1')], { now: () => now });
  l.addSpent(anyone, usdToPico('0.7'), Date.UTC(2026, 10, 24, 10));
  l.addSpent(anyone, usdToPico('5'), Date.UTC(2026, 10, 23, 10)); // yesterday
  assert.equal(l.status()[0]!.spent, usdToPico('0.7'));
  assert.equal(l.reserve(anyone, usdToPico('0.5')).ok, false);
  now = Date.UTC(2026, 10, 25, 0, 1);
  assert.equal(l.status()[0]!.spent, 0n);
  assert.equal(l.status()[0]!.periodKey, '2026-11-25');
  assert.equal(l.reserve(anyone, usdToPico('0.5')).ok, true);
});

test('sweep releases reservations older than the stale limit', () => {
  let now = 1_000_000;
  const l = new BudgetLedger([global('1', { period: 'total' })], { now: () => now, staleAfterMs: 60_000 });
  assert.ok(l.reserve(anyone, usdToPico('0.9')).ok);
  now += 30_000;
  assert.equal(l.sweep(), 0);
  now += 31_000;
  assert.equal(l.sweep(), 1);
  assert.equal(l.status()[0]!.inFlight, 0n);
});

test('the budgets section is validated with errors that name the field', () => {
  assert.throws(() => parseBudgets([{ name: 'x', limit_usd: 'lots' }]), (e: Error) => e instanceof ConfigError && /budgets\[0\]\.limit_usd/.test(e.message));
  assert.throws(() => parseBudgets([{ name: 'x', limit_usd: 1, mode: 'soft', action: 'demote' }]), /demote_to/);
  assert.throws(() => parseBudgets([{ name: 'x', limit_usd: 1, key: 'a', tag: 'b=c' }]), /not both/);
  assert.throws(() => parseBudgets([{ name: 'x', limit_usd: 1 }, { name: 'x', limit_usd: 2 }]), /two budgets are named "x"/);
  assert.throws(() => parseBudgets([{ name: 'x', limit_usd: 1, perod: 'day' }]), /perod/);
  assert.throws(() => toRules(parseBudgets([{ name: 'x', limit_usd: 1, key: 'nobody' }]), () => null), /key "nobody", which does not exist/);
  const [b] = parseBudgets([{ name: 'x', limit_usd: 0.5, tag: 'team=search', mode: 'soft', action: 'demote', demote_to: 'claude-haiku-4-5' }]);
  assert.equal(b!.limit_usd, usdToPico('0.5'));
  assert.equal(b!.period, 'month');
  assert.deepEqual(parseBudgetShorthand('50/month'), { limitPico: usdToPico('50'), period: 'month' });
  assert.deepEqual(parseBudgetShorthand('2.5/day'), { limitPico: usdToPico('2.5'), period: 'day' });
  assert.throws(() => parseBudgetShorthand('50/week'), /50\/month/);
});

test('a settlement wakes requests waiting for room', { timeout: 10_000 }, async () => {
  const l = new BudgetLedger([global('1')]);
  const a = l.reserve(anyone, usdToPico('0.8'));
  assert.ok(a.ok);
  const b = l.reserve(anyone, usdToPico('0.5'));
  assert.equal(b.ok, false, 'no room while 0.8 is in flight');
  const woken = l.nextSettlement(60_000);
  l.settle(a.reservation, usdToPico('0.2'));
  await woken; // resolves on the settlement, not after a minute
  assert.equal(l.reserve(anyone, usdToPico('0.5')).ok, true, 'room once the real cost is known');
});
