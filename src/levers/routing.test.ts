import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { RequestPlan } from './lever.js';
import { createPlanner } from './planner.js';
import { createRoutingLever } from './routing.js';

const catalog = getDefaultCatalog();
const HAIKU = 'claude-haiku-4-5-20251001';

function planFor(body: Record<string, unknown>, over: { headers?: Record<string, string>; sessionId?: string } = {}): RequestPlan {
  const original = structuredClone(body);
  return {
    original,
    body: original,
    attribution: { keyHash: 'kh1', userId: null, sessionId: over.sessionId ?? null, tags: {} },
    headers: over.headers ?? {},
    catalog,
    model: catalog.tryResolve(String(body['model'])) ?? null,
    deferMs: null,
    decisions: [],
  };
}

const classify = () => ({
  model: 'claude-sonnet-4-6',
  max_tokens: 16,
  stream: true,
  system: 'Classify the sentiment of the review as positive, negative or neutral. Output only the label.',
  messages: [{ role: 'user', content: 'Arrived late and the box was crushed.' }],
  metadata: { user_id: 'u1' },
  some_future_field: { keep: [1, 2, 3] },
});

describe('routing lever', () => {
  it('observe mode (the default) records the decision and changes no byte of the request', async () => {
    const lever = createRoutingLever();
    assert.equal(lever.mode, 'observe');
    const plan = planFor(classify());
    const before = JSON.stringify(plan.body);
    const bodyRef = plan.body;
    await createPlanner([lever]).plan(plan);
    assert.equal(plan.body, bodyRef, 'same object: nothing was copied or replaced');
    assert.equal(JSON.stringify(plan.body), before);
    assert.equal(plan.model?.entry.id, 'claude-sonnet-4-6');
    const d = plan.decisions.find((x) => x.lever === 'routing');
    assert.ok(d);
    assert.equal(d.applied, false);
    assert.match(d.summary, /claude-sonnet-4-6 -> claude-haiku-4-5-20251001/);
    assert.ok(BigInt(d.estimatedSavingPico ?? '0') > 0n);
    // Nothing changed, so nothing is metered as saved.
    const priced = priceUsage(catalog, 'claude-sonnet-4-6', { input_tokens: 40, output_tokens: 2 });
    const s = createPlanner([lever]).settle(plan, { status: 200, priced, stopReason: 'end_turn', startedAt: 0 });
    assert.deepEqual(s.savingsPico, {});
    assert.equal(lever.stats().wouldChange, 1);
    assert.equal(lever.stats().applied, 0);
  });

  it('enforce mode sets body.model copy-on-write and meters the saving against the requested model', async () => {
    const lever = createRoutingLever({ config: { mode: 'enforce' } });
    const planner = createPlanner([lever]);
    const plan = planFor(classify());
    await planner.plan(plan);
    assert.equal(plan.body['model'], HAIKU);
    assert.equal(plan.model?.entry.id, HAIKU);
    assert.equal(plan.original['model'], 'claude-sonnet-4-6', 'the original body is never mutated');
    assert.deepEqual(plan.body['some_future_field'], { keep: [1, 2, 3] }, 'unknown fields pass through');
    const usage = { input_tokens: 60, output_tokens: 3 };
    const priced = priceUsage(catalog, HAIKU, usage);
    const s = planner.settle(plan, { status: 200, priced, stopReason: 'end_turn', startedAt: 0 });
    const sonnetCost = priceUsage(catalog, 'claude-sonnet-4-6', usage).total; // same tokenizer family: same counts
    assert.equal(s.savingsPico.routing, sonnetCost - priced.total);
    assert.equal(s.baselinePico, sonnetCost);
  });

  it('converts token counts between tokenizers when metering an escalation', async () => {
    const lever = createRoutingLever({ config: { mode: 'enforce' } });
    const plan = planFor({ model: 'claude-sonnet-4-6', max_tokens: 4000, messages: [{ role: 'user', content: 'Prove rigorously that sqrt(2) + sqrt(3) is irrational.' }] });
    await createPlanner([lever]).plan(plan);
    assert.equal(plan.body['model'], 'claude-opus-4-7');
    const priced = priceUsage(catalog, 'claude-opus-4-7', { input_tokens: 1300, output_tokens: 2700 });
    const saving = lever.attribute!(plan, { status: 200, priced, stopReason: 'end_turn', startedAt: 0 });
    // On Sonnet the same text is ~1,000 input and ~2,083 output tokens: 0.003 + 0.03125 USD; Opus billed 0.074 USD.
    const onSonnet = priceUsage(catalog, 'claude-sonnet-4-6', { input_tokens: 1003, output_tokens: 2083 }).total;
    assert.equal(saving, onSonnet - priced.total);
    assert.ok(saving! < 0n, 'escalating costs money, and is reported as such');
  });

  it('the pin header keeps the model; the session remembers the served model', async () => {
    const lever = createRoutingLever({ config: { mode: 'enforce' } });
    const pinned = planFor(classify(), { headers: { 'x-clawback-model-pin': '1' } });
    await lever.plan(pinned);
    assert.equal(pinned.body['model'], 'claude-sonnet-4-6');
    assert.equal(lever.decisionFor(pinned)?.pinned, true);

    // A long, warm session on Sonnet: a short-form turn stays on Sonnet rather than re-write the cache on Haiku.
    let t = 1_000_000;
    const warmLever = createRoutingLever({ config: { mode: 'enforce', demote_below: 5 }, now: () => t });
    const history = Array.from({ length: 10 }, (_, i) => [
      { role: 'user', content: `Part ${i}: ${'the contract terms and the negotiation so far. '.repeat(70)}` },
      { role: 'assistant', content: 'Noted.' },
    ]).flat();
    const body = { ...classify(), messages: [...history, { role: 'user', content: 'Is the tone of my last message positive, negative or neutral? Output only the label.' }] };
    const first = planFor(body, { headers: { 'x-clawback-model-pin': 'true' }, sessionId: 's1' });
    await warmLever.plan(first);
    warmLever.observe!(first, { status: 200, priced: null, stopReason: 'end_turn', startedAt: t });
    t += 30_000;
    const second = planFor(body, { sessionId: 's1' });
    await warmLever.plan(second);
    assert.equal(second.body['model'], 'claude-sonnet-4-6');
    assert.match(second.decisions[0]!.summary, /session is warm/);
    t += 3_600_000;
    const later = planFor(body, { sessionId: 's1' });
    await warmLever.plan(later);
    assert.equal(later.body['model'], HAIKU, 'once the cache has gone cold the switch pays');
  });

  it('off mode and unknown models do nothing', async () => {
    const off = createRoutingLever({ config: { mode: 'off' } });
    const p = planFor(classify());
    await createPlanner([off]).plan(p);
    assert.equal(p.decisions.length, 0);
    const lever = createRoutingLever({ config: { mode: 'enforce' } });
    const unknown = planFor({ ...classify(), model: 'claude-next-unreleased' });
    await createPlanner([lever]).plan(unknown);
    assert.equal(unknown.body['model'], 'claude-next-unreleased');
  });
});
