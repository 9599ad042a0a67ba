/**
 * The planner: levers run in order on each request (a later lever sees the earlier ones' decisions), an unknown
 * model passes untouched, settlement sums the savings into the baseline, and the running statistics per lever.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import { workload } from './cache-workloads.js';
import { createCachingLever } from './caching.js';
import type { Lever, RequestPlan } from './lever.js';
import { createPlanner } from './planner.js';

const catalog = getDefaultCatalog();
const attribution = { keyHash: 'k', userId: null, sessionId: 's', tags: {} };
const newPlan = (body: Record<string, unknown>): RequestPlan => ({
  original: body, body, attribution, headers: {}, catalog, model: catalog.tryResolve(String(body['model'])) ?? null, deferMs: null, decisions: [],
});

/** A lever that halves max_tokens, in enforce mode, and says what it saw before it. */
function halver(seen: string[][]): Lever {
  return {
    name: 'output',
    mode: 'enforce',
    plan(plan) {
      seen.push(plan.decisions.map((d) => d.lever));
      plan.body = { ...plan.body, max_tokens: Math.floor(Number(plan.body['max_tokens']) / 2) };
      plan.decisions.push({ lever: 'output', mode: 'enforce', applied: true, summary: 'halved max_tokens', estimatedSavingPico: '1000' });
    },
    attribute: () => 500n,
  };
}

test('levers run in order, each sees the decisions before it, and stats count plans and savings', async () => {
  let now = Date.UTC(2026, 0, 1);
  const seen: string[][] = [];
  const planner = createPlanner([createCachingLever({ now: () => now }), halver(seen), { ...halver([]), mode: 'off' }]);
  assert.deepEqual(planner.levers.map((l) => l.name), ['caching', 'output']);
  const [a, b] = workload('support', { style: 'naive', count: 1 }).slice(0, 2);
  const usage = { input_tokens: 100, output_tokens: 50 };
  let estimated = 0n;
  for (const step of [a!, b!]) {
    const plan = newPlan(step.body);
    await planner.plan(plan);
    assert.equal(plan.body['max_tokens'], 128);
    assert.notEqual(plan.body, plan.original);
    estimated += BigInt(plan.decisions.find((d) => d.lever === 'caching')!.estimatedSavingPico!);
    const priced = priceUsage(catalog, 'claude-sonnet-4-6', usage);
    const s = planner.settle(plan, { status: 200, priced, stopReason: 'end_turn', startedAt: now });
    assert.equal(s.savingsPico.output, 500n);
    assert.equal(s.baselinePico, priced.total + 500n + (s.savingsPico.caching ?? 0n));
    now += 30_000;
  }
  assert.deepEqual(seen, [['caching'], ['caching']]);
  const st = planner.stats();
  assert.equal(st.caching?.planned, 2);
  assert.equal(st.caching?.applied, 2);
  assert.equal(st.caching?.estimatedPico, estimated);
  assert.ok(estimated > 0n, 'the second turn reads what the first wrote');
  assert.deepEqual(st.output, { planned: 2, applied: 2, estimatedPico: 2000n, settled: 2, savingsPico: 1000n });
});

test('an unknown model passes untouched and is not counted', async () => {
  const planner = createPlanner([createCachingLever(), halver([])]);
  const plan = newPlan({ model: 'gpt-unknown', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
  await planner.plan(plan);
  assert.equal(plan.body, plan.original);
  assert.deepEqual(plan.decisions, []);
  assert.deepEqual(planner.stats(), {});
});
