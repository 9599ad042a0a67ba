// Continuing answers the output lever's learned cap truncated, gateway -> emulator: the client gets one whole JSON
// answer, the record bills both upstream calls exactly as the emulator's ledger did, and the lever counts it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { createOutputBudgetLever, type OutputBudgetLever } from '../levers/output-budget.js';
import { createPlanner } from '../levers/planner.js';
import { startGateway, type RunningGateway } from './server.js';

const SYSTEM = 'You are a support assistant for a bicycle shop. Answer the customer.';
const body = (user: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 1000, system: SYSTEM, messages: [{ role: 'user', content: user }], ...extra });

interface Answer {
  content: { type: string; text?: string }[];
  stop_reason: string;
  usage: { input_tokens: number; output_tokens: number };
}

describe('gateway: continuing answers the output cap truncated', () => {
  let emu: RunningEmulator;
  let gw: RunningGateway;
  let lever: OutputBudgetLever;
  before(async () => {
    emu = await startEmulator({
      port: 0,
      scenarios: [
        { name: 'long', match: { user: 'explain' }, length: 300 },
        { name: 'short', match: { user: 'opening hours' }, length: 20 },
      ],
    });
    lever = createOutputBudgetLever({ config: { mode: 'enforce', min_samples: 3, continue_truncated: true } });
    gw = await startGateway({
      port: 0, upstream: emu.url, db: ':memory:', planner: createPlanner([lever]),
      settings: { retry: { maxRetries: 0, maxTotalMs: 0, baseMs: 0, capMs: 0 } },
    });
  });
  after(async () => {
    await gw.close();
    await emu.close();
  });

  const post = (payload: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-continue-gw', 'anthropic-version': '2023-06-01', ...headers },
      body: payload,
    });

  it('learns the route, then continues a long answer into one JSON message billed for both calls', async () => {
    // Short answers teach the route its lengths: from the third on, max_tokens is capped at the 64-token floor.
    for (let i = 0; i < 3; i++) {
      const r = await post(body('What are your opening hours?'));
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as Answer).stop_reason, 'end_turn');
    }
    await gw.drain();
    const before = emu.ledger.entries().length;

    const r = await post(body('Please explain how to adjust the gears on my bike.'));
    assert.equal(r.status, 200);
    const answer = (await r.json()) as Answer;
    await gw.drain();

    const calls = emu.ledger.entries().slice(before);
    assert.equal(calls.length, 2, 'the truncated call and one continuation');
    const [cut, next] = calls as [(typeof calls)[number], (typeof calls)[number]];
    assert.equal(cut.usage.output_tokens, 64, 'the first call was cut by the learned cap');
    assert.ok((next.usage.input_tokens ?? 0) > (cut.usage.input_tokens ?? 0), 'the follow-up carries the partial answer as prefill');

    // The client: one message, one text block, the final call's stop reason, usage summed.
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(answer.content.length, 1);
    assert.equal(answer.content[0]!.type, 'text');
    assert.equal(answer.usage.output_tokens, (cut.usage.output_tokens ?? 0) + (next.usage.output_tokens ?? 0));
    assert.equal(answer.usage.input_tokens, (cut.usage.input_tokens ?? 0) + (next.usage.input_tokens ?? 0));
    assert.ok(answer.usage.output_tokens > 300);

    // The record: one request, costing exactly what the emulator billed for both calls.
    const [rec] = await gw.store.query({ newestFirst: true, limit: 1 });
    assert.ok(rec);
    assert.equal(rec.costPico, cut.costPico + next.costPico);
    assert.equal(rec.outputTokens, answer.usage.output_tokens);
    assert.equal(rec.inputTokens, answer.usage.input_tokens);
    assert.equal(rec.stopReason, 'end_turn');
    assert.equal(rec.maxTokens, 1000);

    const s = lever.stats();
    assert.equal(s.continued, 1);
    assert.equal(s.truncatedByCap, 0, 'the client never saw the truncation');
  });

  it('leaves a streamed answer as the upstream sent it (cut at the cap, one call)', async () => {
    const system = 'You are a support assistant for a bicycle shop. Answer the customer briefly.'; // a route of its own
    for (let i = 0; i < 3; i++) await (await post(body('What are your opening hours?', { system }))).text();
    await gw.drain();
    const before = emu.ledger.entries().length;
    const r = await post(body('Please explain how to adjust the gears on my bike.', { stream: true, system }));
    assert.equal(r.status, 200);
    const text = await r.text();
    await gw.drain();
    assert.match(text, /"stop_reason":"max_tokens"/);
    assert.equal(emu.ledger.entries().length - before, 1);
    const [rec] = await gw.store.query({ newestFirst: true, limit: 1 });
    assert.equal(rec?.costPico, emu.ledger.entries().at(-1)!.costPico);
    assert.equal(lever.stats().continued, 1);
  });

  it('does not continue with optimisation off (nothing was capped)', async () => {
    const before = emu.ledger.entries().length;
    const r = await post(body('Please explain how to adjust the gears on my bike.'), { 'x-clawback-optimize': 'off' });
    const answer = (await r.json()) as Answer;
    await gw.drain();
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(emu.ledger.entries().length - before, 1);
    assert.equal(answer.usage.output_tokens, 300);
  });
});
