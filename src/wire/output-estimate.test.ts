// The one output-token rule: a whole streamed answer, counted from its deltas, gives the output_tokens the emulator
// billed (thinking, text and tool calls), whatever way the bytes were split; a cut stream counts only what came.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { OutputEstimate, OutputUsageTap, outputBlockTokens } from './output-estimate.js';

let emu: RunningEmulator;
before(async () => {
  emu = await startEmulator({
    port: 0,
    scenarios: [
      { match: { user: 'tools' }, text: 'Let me check the weather for you.', tool_calls: [{ name: 'get_weather', input: { city: 'Paris', days: 3 } }, { name: 'get_time', input: {} }] },
      { match: { user: 'think' }, thinking_tokens: 70, length: 45 },
    ],
  });
});
after(() => emu.close());

async function streamed(model: string, body: Record<string, unknown>): Promise<Buffer> {
  const r = await request(`${emu.url}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': 'sk-test', 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 4000, stream: true, ...body }),
  });
  assert.equal(r.statusCode, 200);
  return Buffer.from(await r.body.arrayBuffer());
}

describe('output estimate', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['text and two tool calls', 'claude-sonnet-4-6', { messages: [{ role: 'user', content: 'tools please' }] }],
    ['thinking then text', 'claude-sonnet-4-6', { thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think hard' }] }],
    ['default prose, 2026 tokenizer', 'claude-opus-4-7', { messages: [{ role: 'user', content: 'Tell me about prompt caching and what it saves.' }] }],
  ];
  for (const [name, model, body] of cases) {
    it(`a whole stream's deltas count to the billed output_tokens: ${name}`, async () => {
      const bytes = await streamed(model, body);
      // Fed in 7-byte pieces: events split anywhere still count the same.
      const tap = new OutputUsageTap();
      for (let i = 0; i < bytes.length; i += 7) tap.push(bytes.subarray(i, i + 7));
      const r = tap.end();
      assert.equal(tap.sawMessageDelta, true);
      const family = getDefaultCatalog().resolve(model).entry.tokenizer;
      assert.ok((r.usage?.output_tokens ?? 0) > 1);
      assert.equal(tap.outputTokens(family), r.usage?.output_tokens);
    });
  }

  it('a stream cut before its message_delta counts only the content that came', async () => {
    const bytes = await streamed('claude-sonnet-4-6', { messages: [{ role: 'user', content: 'tools please' }] });
    const text = bytes.toString('utf8');
    const cut = text.indexOf('input_json_delta');
    const tap = new OutputUsageTap();
    tap.push(text.slice(0, text.indexOf('\n\n', cut) + 2));
    tap.end();
    assert.equal(tap.sawMessageDelta, false);
    const firstPiece = /"partial_json":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
    assert.ok(firstPiece !== undefined);
    const json = JSON.parse(`"${firstPiece}"`) as string;
    const expected = outputBlockTokens({ type: 'text', text: 'Let me check the weather for you.' }, 'claude-2025') +
      outputBlockTokens({ type: 'tool_use', name: 'get_weather', json }, 'claude-2025');
    assert.equal(tap.outputTokens('claude-2025'), expected);
  });

  it('counts by tokenizer family: the 2026 tokenizer counts more tokens for the same text', () => {
    const est = new OutputEstimate();
    est.start({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    est.delta({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x'.repeat(70) } });
    est.delta({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'no block started' } });
    est.delta({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abc' } });
    assert.equal(est.tokens('claude-2025'), 20); // 70 / 3.5
    assert.equal(est.tokens('claude-2026'), 26); // ceil(70 / 2.7)
  });
});
