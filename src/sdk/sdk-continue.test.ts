// The SDK wrapper continues answers the output lever's learned cap truncated, as the gateway does: the caller gets one
// whole message, and the record bills both calls exactly as the emulator's ledger did.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator } from '../emulator/server.js';
import { createOutputBudgetLever } from '../levers/output-budget.js';
import { createPlanner } from '../levers/planner.js';
import { withClawback } from './index.js';

const SYSTEM = 'You are a support assistant for a bicycle shop. Answer the customer.';

it('SDK wrapper: a long answer cut by the learned cap comes back whole, billed for both calls', async () => {
  const emu = await startEmulator({
    port: 0,
    scenarios: [
      { name: 'long', match: { user: 'explain' }, length: 300 },
      { name: 'short', match: { user: 'opening hours' }, length: 20 },
    ],
  });
  const lever = createOutputBudgetLever({ config: { mode: 'enforce', min_samples: 3, continue_truncated: true } });
  const client = withClawback(new Anthropic({ apiKey: 'sk-ant-api03-continue-sdk', baseURL: emu.url, maxRetries: 0 }), { db: ':memory:', planner: createPlanner([lever]) });
  try {
    const ask = (q: string) => client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 1000, system: SYSTEM, messages: [{ role: 'user', content: q }] });
    for (let i = 0; i < 3; i++) assert.equal((await ask('What are your opening hours?')).stop_reason, 'end_turn');
    const before = emu.ledger.entries().length;
    const answer = await ask('Please explain how to adjust the gears on my bike.');
    const calls = emu.ledger.entries().slice(before);
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.usage.output_tokens, 64, 'cut by the learned cap');
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(answer.content.length, 1);
    assert.equal(answer.usage.output_tokens, (calls[0]!.usage.output_tokens ?? 0) + (calls[1]!.usage.output_tokens ?? 0));
    await client.clawback.flush();
    const [rec] = await client.clawback.store.query({ newestFirst: true, limit: 1 });
    assert.ok(rec);
    assert.equal(rec.costPico, calls[0]!.costPico + calls[1]!.costPico);
    assert.equal(rec.outputTokens, answer.usage.output_tokens);
    assert.equal(rec.stopReason, 'end_turn');
    assert.equal(lever.stats().continued, 1);
  } finally {
    await client.clawback.close();
    await emu.close();
  }
});
