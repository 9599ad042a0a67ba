// Metering a continued answer: every upstream call is priced as the API bills it, on its own (a price tier applies
// per call), and the client sees the usage summed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContinuationPolicy } from '../levers/plan.js';
import type { MessageResponse } from '../levers/output-budget-continue.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import { billedUsage, continueAnswer } from './continuation.js';

const catalog = getDefaultCatalog();
const MODEL = 'claude-sonnet-4-5-20250929'; // long-context prices above 200k prompt tokens

test('each call is priced on its own: two calls under the long-context tier stay under it', () => {
  const first = { input_tokens: 150_000, output_tokens: 4_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const second = { input_tokens: 154_000, output_tokens: 1_200, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const billed = priceUsage(catalog, MODEL, billedUsage([first, second]));
  const each = priceUsage(catalog, MODEL, first).total + priceUsage(catalog, MODEL, second).total;
  assert.equal(billed.total, each);
  assert.equal(billed.tokens.input, 304_000);
  assert.equal(billed.tokens.output, 5_200);
  assert.equal(billed.tier, null);
  // Summing the counts first would have crossed the tier and overbilled.
  const summed = priceUsage(catalog, MODEL, { input_tokens: 304_000, output_tokens: 5_200 });
  assert.ok(summed.total > each);
});

test('continueAnswer: merged answer with summed usage, billed usage per call, the lever told once', async () => {
  const first: MessageResponse = {
    id: 'msg_1', type: 'message', role: 'assistant', model: MODEL, content: [{ type: 'text', text: 'The gears are set by ' }],
    stop_reason: 'max_tokens', stop_sequence: null, usage: { input_tokens: 40, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 },
  };
  const sent: Record<string, unknown> = { model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'How are the gears set?' }] };
  const bodies: Record<string, unknown>[] = [];
  let notes = 0;
  const policy: ContinuationPolicy = { clientMax: 50, maxCalls: 2, note: () => notes++ };
  const done = await continueAnswer(async (b) => {
    bodies.push(b);
    return {
      id: 'msg_2', type: 'message', role: 'assistant', model: MODEL, content: [{ type: 'text', text: 'turning the barrel adjuster.' }],
      stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 46, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 },
    };
  }, sent, first, policy);
  assert.equal(done.calls, 1);
  assert.equal(notes, 1);
  assert.equal(bodies[0]!['max_tokens'], 45);
  assert.deepEqual(done.response.content, [{ type: 'text', text: 'The gears are set byturning the barrel adjuster.' }]);
  assert.equal(done.response.stop_reason, 'end_turn');
  assert.deepEqual(done.response.usage, { input_tokens: 86, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 200 });
  const billed = priceUsage(catalog, MODEL, done.usage);
  assert.equal(billed.total, priceUsage(catalog, MODEL, first.usage as object).total + priceUsage(catalog, MODEL, { input_tokens: 46, output_tokens: 7, cache_read_input_tokens: 100 }).total);
});

test('a failed follow-up bills nothing more and returns the first answer as it was', async () => {
  const first: MessageResponse = { type: 'message', content: [{ type: 'text', text: 'Partial' }], stop_reason: 'max_tokens', usage: { input_tokens: 10, output_tokens: 5 } };
  let notes = 0;
  const done = await continueAnswer(() => Promise.resolve(null), { messages: [] }, first, { clientMax: 100, maxCalls: 2, note: () => notes++ });
  assert.equal(done.calls, 0);
  assert.equal(notes, 0);
  assert.equal(done.response, first);
  assert.deepEqual(done.usage, first.usage);
});
