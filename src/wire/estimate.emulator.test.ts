/**
 * The pre-send estimate against the emulator, which bills with the same token model as the real API's usage
 * fields: before the first request the worst case predicts its input side exactly (cold cache writes by TTL), the
 * expected case predicts the repeat (warm cache), and the real bill never exceeds the reserved worst case.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { Usage } from '../pricing/usage.js';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { estimateRequestCost } from './estimate.js';

const catalog = getDefaultCatalog();
let emu: RunningEmulator;

before(async () => {
  emu = await startEmulator({ env: {} });
});
after(() => emu.close());

async function send(body: Record<string, unknown>): Promise<Usage> {
  const res = await fetch(`${emu.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-estimate-test', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { usage?: Usage; error?: { message: string } };
  assert.equal(res.status, 200, json.error?.message);
  return json.usage!;
}

const input = (u: Usage): number[] => [u.input_tokens ?? 0, u.cache_creation?.ephemeral_5m_input_tokens ?? 0, u.cache_creation?.ephemeral_1h_input_tokens ?? 0, u.cache_read_input_tokens ?? 0];

for (const model of ['claude-opus-4-7', 'claude-sonnet-4-6']) {
  test(`${model}: worst = the first request's input side, expected = the repeat's, and the bill stays under the worst case`, async () => {
    const body = {
      model,
      max_tokens: 400,
      tools: [{ name: 'lookup_order', description: 'Find an order by id. '.repeat(60), input_schema: { type: 'object', properties: { id: { type: 'string' } } }, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      system: [{ type: 'text', text: `You are the support assistant of ${model}. ` + 'Answer from the policy below. '.repeat(300), cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Where is my order 1234?' }],
    };
    const e = estimateRequestCost(catalog, body);
    assert.ok(e.cacheablePrefixTokens > 0);
    const first = await send(body);
    assert.deepEqual(input(first), input(e.worst.usage), 'cold: uncached input, 5m writes, 1h writes, reads');
    const billed = priceUsage(catalog, model, first).total;
    assert.ok(billed <= e.worst.cost.total, `billed ${billed} > reserved ${e.worst.cost.total}`);
    assert.ok((first.output_tokens ?? 0) <= 400);
    const second = await send(body);
    assert.deepEqual(input(second), input(e.expected.usage), 'warm: the prefix is read');
  });
}
