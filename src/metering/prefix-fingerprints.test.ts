// The fingerprints taken from the caching lever's analysis are exactly those of analysing the body it sent, also
// where the lever placed breakpoints of its own; when the body sent is not the one it analysed, nothing is shared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCachingLever } from '../levers/caching.js';
import { newRequestPlan, runPlanner } from '../levers/plan.js';
import { createPlanner } from '../levers/planner.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { jobFor, prefixFingerprints } from '../gateway/fingerprints.js';
import { sharedFingerprints } from './prefix-fingerprints.js';

const catalog = getDefaultCatalog();
const attribution = { keyHash: 'k1', userId: null, sessionId: 's1', tags: {} };
const manual = 'Section 4.2: returns are accepted within 30 days with the receipt; store credit otherwise. '.repeat(300);
const body = (turns: number): Record<string, unknown> => ({
  model: 'claude-sonnet-4-6',
  max_tokens: 512,
  tools: [{ name: 'lookup_order', description: 'Look an order up by number.', input_schema: { type: 'object', properties: { order: { type: 'string' } } } }],
  system: [{ type: 'text', text: `You answer questions about the shop manual.\n${manual}` }],
  messages: Array.from({ length: turns * 2 - 1 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: i % 2 ? `Answer ${i}.` : `Question ${i} about returns?` })),
});

test('fingerprints from the caching lever equal those of the body sent, breakpoints included', async () => {
  const planner = createPlanner([createCachingLever({ mode: 'enforce' })]);
  let withMarkers = 0;
  for (const turns of [1, 2, 3]) {
    const plan = newRequestPlan({ body: body(turns), attribution, headers: {}, catalog, deferMs: null });
    await runPlanner(planner, plan, (m) => assert.fail(m));
    const shared = sharedFingerprints(planner, plan);
    assert.ok(shared);
    assert.deepEqual(shared, prefixFingerprints(plan.body, jobFor(plan.model)));
    if (shared.some((f) => f.bp !== undefined) && plan.body !== plan.original) withMarkers++;
    // The client's own body carries no breakpoint: the lever's differ, and are the ones recorded.
    assert.ok(prefixFingerprints(plan.original, jobFor(plan.model)).every((f) => f.bp === undefined));
  }
  assert.ok(withMarkers > 0, 'the lever placed breakpoints on some turn');
});

test('nothing is shared once the body was replaced, without the lever, or after settling', async () => {
  const planner = createPlanner([createCachingLever({ mode: 'enforce' })]);
  const plan = newRequestPlan({ body: body(2), attribution, headers: {}, catalog, deferMs: null });
  await runPlanner(planner, plan, (m) => assert.fail(m));
  assert.ok(sharedFingerprints(planner, plan));
  assert.equal(sharedFingerprints(createPlanner([]), plan), null);
  assert.equal(sharedFingerprints(null, plan), null);
  const sent = plan.body;
  plan.body = { ...sent };
  assert.equal(sharedFingerprints(planner, plan), null);
  plan.body = sent;
  planner.settle(plan, { status: 200, priced: null, stopReason: 'end_turn', startedAt: 0 });
  assert.equal(sharedFingerprints(planner, plan), null);
});
