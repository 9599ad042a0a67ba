import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, userMessage } from './testing.js';

test('a soft "demote" budget sends requests to the cheaper model once it would go over; alert-only budgets never refuse', async () => {
  const h = await startHarness({
    config: {
      budgets: [
        { name: 'search-demote', tag: 'team=search', limit_usd: '0.002', period: 'day', mode: 'soft', action: 'demote', demote_to: 'claude-haiku-4-5' },
        { name: 'watch', limit_usd: '0.000001', period: 'day', mode: 'soft' },
      ],
    },
  });
  try {
    const tags = { 'x-clawback-tags': 'team=search' };
    const models: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.send(userMessage(`search question ${i}`, 'claude-sonnet-4-6', 60), tags);
      assert.equal(r.status, 200, 'soft budgets never refuse');
      models.push(String(r.json['model']));
    }
    assert.equal(models[0], 'claude-sonnet-4-6', 'within budget: the model the client asked for');
    assert.equal(models.at(-1), 'claude-haiku-4-5-20251001', 'over budget: demoted');
    // other teams are not affected
    assert.equal((await h.send(userMessage('other team', 'claude-sonnet-4-6', 60))).json['model'], 'claude-sonnet-4-6');
    await h.gw.drain();
    const recs = await h.gw.store.query({});
    const demoted = recs.filter((r) => r.requestedModel === 'claude-sonnet-4-6' && (r.servedModel ?? '').startsWith('claude-haiku-4-5'));
    assert.equal(demoted.length, models.filter((m) => m.startsWith('claude-haiku')).length, 'the store shows what was asked and what was served');
  } finally {
    await h.close();
  }
});

test('a hard budget refuses a model it cannot price, rather than letting unknown spend through', async () => {
  const h = await startHarness({ config: { budgets: [{ name: 'all', limit_usd: '10', period: 'month' }] } });
  try {
    const r = await h.send(userMessage('hello', 'claude-unknown-9', 50));
    assert.equal(r.status, 400);
    assert.equal((r.json['error'] as { type: string }).type, 'invalid_request_error');
    assert.match((r.json['error'] as { message: string }).message, /budget "all" cannot be enforced for model "claude-unknown-9"/);
  } finally {
    await h.close();
  }
});
