import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { canContinue, continuationBody, continueTruncated, isMessageResponse, type MessageResponse } from './output-budget-continue.js';

type Obj = Record<string, unknown>;

/**
 * A model that knows the whole answer and continues from an assistant prefill, `perCall` characters at a time
 * (the emulator answers a prefill from the start, so this pins down the merge itself). Like the real model, it
 * writes the whitespace a prefill had to drop.
 */
function continuingModel(full: string, perCall: number): { send: (body: Obj) => Promise<MessageResponse>; bodies: Obj[]; billed: () => number } {
  const bodies: Obj[] = [];
  let billed = 0;
  return {
    bodies,
    billed: () => billed,
    send: async (body) => {
      bodies.push(body);
      const msgs = body['messages'] as Obj[];
      const last = msgs.at(-1)!;
      const prefill = last['role'] === 'assistant' ? String(last['content']) : '';
      assert.ok(full.startsWith(prefill), 'the prefill is the answer so far');
      assert.doesNotMatch(prefill, /\s$/, 'no trailing whitespace in a prefill');
      const rest = full.slice(prefill.length, prefill.length + perCall);
      const done = prefill.length + perCall >= full.length;
      billed += rest.length;
      return {
        type: 'message', role: 'assistant', content: [{ type: 'text', text: rest }], stop_reason: done ? 'end_turn' : 'max_tokens', stop_sequence: null,
        usage: { input_tokens: 50 + prefill.length, output_tokens: rest.length, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } },
      };
    },
  };
}

describe('continuing a truncated answer', () => {
  it('merges a JSON answer cut mid-way back into one valid document, usage summed', async () => {
    const full = JSON.stringify({ items: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ['a b', 'c'] })) }, null, 1);
    const model = continuingModel(full, 120);
    const sent = { model: 'claude-sonnet-4-6', max_tokens: 120, messages: [{ role: 'user', content: 'List the items as JSON.' }] };
    const first = await model.send(sent);
    assert.equal(first.stop_reason, 'max_tokens');
    assert.ok(canContinue(sent, first));
    const { response, calls } = await continueTruncated(model.send, sent, first, 10_000, 10);
    assert.ok(calls >= Math.ceil(full.length / 120) - 1);
    assert.equal(response.content.length, 1);
    const text = (response.content[0] as Obj)['text'] as string;
    assert.equal(text, full);
    assert.doesNotThrow(() => JSON.parse(text));
    assert.equal(response.stop_reason, 'end_turn');
    assert.equal((response.usage as Obj)['output_tokens'], model.billed(), 'every call is billed, re-written whitespace too');
    for (const b of model.bodies.slice(1)) assert.equal(b['model'], 'claude-sonnet-4-6');
  });

  it('stops at the client\'s own limit and after max calls; leaves tool calls and thinking alone', async () => {
    const full = 'word '.repeat(200);
    const model = continuingModel(full, 100);
    const sent = { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Go on.' }] };
    const first = await model.send(sent);
    const limited = await continueTruncated(model.send, sent, first, 250, 10);
    assert.equal(limited.calls, 2, 'budget 250: the first call used 100, the next 100, the next 50');
    assert.equal(model.bodies.at(-1)!['max_tokens'], 50);
    const capped = await continueTruncated(continuingModel(full, 100).send, sent, first, 10_000, 1);
    assert.equal(capped.calls, 1);
    assert.equal(capped.response.stop_reason, 'max_tokens');
    const tool: MessageResponse = { type: 'message', content: [{ type: 'tool_use', id: 't', name: 'x', input: {} }], stop_reason: 'max_tokens' };
    assert.equal(canContinue(sent, tool), false);
    assert.equal(canContinue({ ...sent, thinking: { type: 'enabled', budget_tokens: 1024 } }, first), false);
    assert.equal(canContinue({ ...sent, stream: true }, first), false);
  });

  it('appends to a client\'s own prefill', () => {
    const sent = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'JSON please' }, { role: 'assistant', content: '{"a":' }] };
    const body = continuationBody(sent, ' 1, "b": ', 90);
    assert.deepEqual((body['messages'] as Obj[]).at(-1), { role: 'assistant', content: '{"a": 1, "b":' });
    assert.equal(body['max_tokens'], 90);
    assert.equal((sent.messages as Obj[]).length, 2, 'the sent body is not mutated');
  });
});

describe('continuation against the emulator', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ port: 0, scenarios: [{ name: 'report', match: { user: 'weekly report' }, length: 300 }] });
  });
  after(() => emu.close());

  it('the follow-up with the prefill is a valid request; the merged usage is what the API billed for both calls', async () => {
    const send = async (body: Obj): Promise<unknown> => {
      const r = await fetch(`${emu.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test-continue', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 200, await r.clone().text());
      return r.json();
    };
    const sent = { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Write the weekly report.' }] };
    const first = await send(sent);
    assert.ok(isMessageResponse(first));
    assert.equal(first.stop_reason, 'max_tokens');
    const { response, calls } = await continueTruncated(send, sent, first, 1000);
    assert.equal(calls, 1);
    assert.equal(response.stop_reason, 'end_turn');
    const billed = emu.ledger.entries();
    assert.equal(billed.length, 2);
    const sum = (k: 'input_tokens' | 'output_tokens'): number => billed.reduce((a, e) => a + (e.usage[k] ?? 0), 0);
    assert.equal((response.usage as Obj)['output_tokens'], sum('output_tokens'));
    assert.equal((response.usage as Obj)['input_tokens'], sum('input_tokens'));
  });
});
