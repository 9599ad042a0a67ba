import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { RequestPlan } from './lever.js';
import { createOutputBudgetLever } from './output-budget.js';
import { parseOutputConfig } from './output-budget-config.js';
import { capFor, OutputLengths } from './output-budget-stats.js';
import { createPlanner } from './planner.js';

const catalog = getDefaultCatalog();
const SONNET = 'claude-sonnet-4-6';

function planFor(body: Record<string, unknown>, tags: Record<string, string> = {}): RequestPlan {
  return {
    original: body, body, attribution: { keyHash: null, userId: null, sessionId: null, tags }, headers: {}, catalog,
    model: catalog.tryResolve(String(body['model'])) ?? null, deferMs: null, decisions: [],
  };
}
const ask = (i: number, extra: Record<string, unknown> = {}) => ({
  model: SONNET, max_tokens: 4096, system: 'Answer the customer, then close with </answer>.', messages: [{ role: 'user', content: `Question ${i}` }], ...extra,
});
const answered = (model: string, out: number, stopReason = 'end_turn') => ({
  status: 200, priced: priceUsage(catalog, model, { input_tokens: 30, output_tokens: out }), stopReason, startedAt: 0,
});

describe('output lengths and caps', () => {
  it('quantiles over a bounded window; caps never exceed the client, the model, and wait for enough data', () => {
    const l = new OutputLengths(100);
    for (let i = 1; i <= 150; i++) l.add(i); // the window keeps 51..150
    assert.equal(l.size, 100);
    assert.equal(l.observed, 150);
    assert.equal(l.quantile(0.5), 100);
    assert.equal(l.quantile(0.99), 149);
    const base = { lengths: l, quantile: 0.99, margin: 1.5, minSamples: 20, minCap: 64, clientMax: 4096, modelMax: 64000 };
    assert.equal(capFor(base), 224);
    assert.equal(capFor({ ...base, clientMax: 200 }), null, 'a cap at or above the client value changes nothing');
    assert.equal(capFor({ ...base, modelMax: 180, clientMax: 4096 }), 180);
    assert.equal(capFor({ ...base, minSamples: 101 }), null);
    assert.equal(capFor({ ...base, margin: 1, quantile: 0.01, minCap: 300 }), 300);
  });

  it('rejects a bad config naming the field', () => {
    assert.throws(() => parseOutputConfig({ quantile: 2 }), /levers\.output\.quantile/);
    assert.throws(() => parseOutputConfig({ routes: [{ name: 'r', match: {}, effort: 'extreme' }] }), /routes\.0\.effort/);
  });
});

describe('output budget lever', () => {
  it('observe mode learns, records the cap it would set, and changes no byte', async () => {
    const lever = createOutputBudgetLever({ config: { stop_sequences: ['</answer>'] } });
    const planner = createPlanner([lever]);
    for (let i = 0; i < 25; i++) {
      const p = planFor(ask(i));
      await planner.plan(p);
      planner.settle(p, answered(SONNET, 100 + i));
    }
    const p = planFor(ask(99));
    const before = JSON.stringify(p.body);
    const ref = p.body;
    await planner.plan(p);
    assert.equal(p.body, ref);
    assert.equal(JSON.stringify(p.body), before);
    const d = lever.decisionFor(p)!;
    assert.equal(d.applied, false);
    assert.equal(d.cap, Math.ceil(124 * 1.3));
    assert.deepEqual(d.addedStops, ['</answer>']);
    assert.match(p.decisions[0]!.summary, /max_tokens 4096 -> 162/);
  });

  it('enforce mode caps max_tokens, adds stop sequences and effort where the model supports it', async () => {
    const lever = createOutputBudgetLever({
      config: { mode: 'enforce', routes: [{ name: 'faq', match: { tags: { feature: 'faq' } }, stop_sequences: ['</answer>'], effort: 'low' }] },
    });
    const planner = createPlanner([lever]);
    const first = planFor(ask(0, { stop_sequences: ['END'] }), { feature: 'faq' });
    await planner.plan(first);
    assert.equal(first.body['max_tokens'], 4096, 'no cap before enough answers were seen');
    assert.deepEqual(first.body['stop_sequences'], ['END', '</answer>']);
    assert.deepEqual(first.body['output_config'], { effort: 'low' });
    assert.deepEqual(first.original['stop_sequences'], ['END'], 'the original is untouched');
    for (let i = 0; i < 30; i++) {
      const p = planFor(ask(i), { feature: 'faq' });
      await planner.plan(p);
      planner.settle(p, answered(SONNET, 200 + (i % 10) * 10, 'stop_sequence'));
    }
    const p = planFor(ask(1), { feature: 'faq' });
    await planner.plan(p);
    assert.equal(p.body['max_tokens'], Math.ceil(290 * 1.3));
    // Haiku 4.5 has no effort setting: none is added. Thinking requests keep their max_tokens.
    const h = planFor({ ...ask(2), model: 'claude-haiku-4-5' }, { feature: 'faq' });
    await planner.plan(h);
    assert.equal(h.body['output_config'], undefined);
    assert.match(h.decisions[0]!.summary, /has no effort "low"/);
    const t = planFor(ask(3, { thinking: { type: 'enabled', budget_tokens: 2048 } }), { feature: 'faq' });
    await planner.plan(t);
    assert.equal(t.body['max_tokens'], 4096);
  });

  it('counts truncations its caps caused, apart from the client\'s own, and raises the cap after one', async () => {
    const lever = createOutputBudgetLever({ config: { mode: 'enforce', min_samples: 5 } });
    const planner = createPlanner([lever]);
    for (let i = 0; i < 5; i++) {
      const p = planFor(ask(i));
      await planner.plan(p);
      planner.settle(p, answered(SONNET, 100));
    }
    const p = planFor(ask(5));
    await planner.plan(p);
    const cap = p.body['max_tokens'] as number;
    assert.equal(cap, 130);
    planner.settle(p, answered(SONNET, cap, 'max_tokens'));
    const own = planFor(ask(6, { max_tokens: 50 }));
    await planner.plan(own);
    assert.equal(own.body['max_tokens'], 50);
    planner.settle(own, answered(SONNET, 50, 'max_tokens'));
    const s = lever.stats();
    assert.equal(s.truncatedByCap, 1);
    assert.equal(s.truncatedByClient, 1);
    const next = planFor(ask(7));
    await planner.plan(next);
    assert.ok((next.body['max_tokens'] as number) > cap, 'the censored answer pushed the cap up');
  });

  it('meters what its stop sequence saved against the route\'s answers without it', async () => {
    const lever = createOutputBudgetLever({ config: { mode: 'enforce', stop_sequences: ['</answer>'], min_samples: 3 } });
    const planner = createPlanner([lever]);
    for (let i = 0; i < 3; i++) {
      const p = planFor(ask(i, { stop_sequences: ['</answer>'] })); // the client's own stop sequence: nothing of ours
      await planner.plan(p);
      planner.settle(p, answered(SONNET, 1000, 'max_tokens'));
    }
    const p = planFor(ask(9));
    await planner.plan(p);
    assert.deepEqual(p.body['stop_sequences'], ['</answer>']);
    const s = planner.settle(p, answered(SONNET, 200, 'stop_sequence'));
    assert.equal(s.savingsPico.output, priceUsage(catalog, SONNET, { output_tokens: 800 }).total);
  });
});
