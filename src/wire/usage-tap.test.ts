import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSse } from './sse.js';
import { mergeUsage, UsageTap } from './usage-tap.js';

const start = {
  type: 'message_start',
  message: {
    id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: 12, cache_creation_input_tokens: 2000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 }, output_tokens: 1, service_tier: 'standard' },
  },
};

test('takes the input side from message_start and the final output count from the last message_delta', () => {
  const tap = new UsageTap();
  tap.push(encodeSse('message_start', start));
  tap.push(encodeSse('ping', { type: 'ping' }));
  tap.push(encodeSse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }));
  tap.push(encodeSse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 40 } }));
  tap.push(encodeSse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 12, cache_read_input_tokens: null, output_tokens: 57 } }));
  tap.push(encodeSse('message_stop', { type: 'message_stop' }));
  const r = tap.end();
  assert.equal(r.id, 'msg_01');
  assert.equal(r.model, 'claude-sonnet-4-6');
  assert.equal(r.stopReason, 'end_turn');
  assert.equal(r.sawMessageStop, true);
  // cumulative: 57 replaces 40 and the earlier 1; a null field leaves the earlier value alone
  assert.equal(r.usage?.output_tokens, 57);
  assert.equal(r.usage?.cache_read_input_tokens, 0);
  assert.equal(r.usage?.cache_creation_input_tokens, 2000);
  assert.deepEqual(r.usage?.cache_creation, { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 });
});

test('records a mid-stream error event and keeps the usage seen before it', () => {
  const tap = new UsageTap();
  tap.push(encodeSse('message_start', start));
  tap.push(encodeSse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  const r = tap.end();
  assert.deepEqual(r.error, { type: 'overloaded_error', message: 'Overloaded' });
  assert.equal(r.usage?.input_tokens, 12);
  assert.equal(r.sawMessageStop, false);
});

test('mergeUsage merges nested objects field by field and ignores non-objects', () => {
  const merged = mergeUsage({ cache_creation: { ephemeral_5m_input_tokens: 5, ephemeral_1h_input_tokens: 7 } }, { cache_creation: { ephemeral_1h_input_tokens: 9 } });
  assert.deepEqual(merged?.cache_creation, { ephemeral_5m_input_tokens: 5, ephemeral_1h_input_tokens: 9 });
  assert.equal(mergeUsage(null, 'x'), null);
});

test('mergeUsage: null fields, at the top or nested, leave the earlier value; a __proto__ key changes nothing', () => {
  const base = { input_tokens: 10, output_tokens: 1, server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 } };
  const update = JSON.parse('{"input_tokens":null,"output_tokens":40,"server_tool_use":{"web_search_requests":3,"web_fetch_requests":null},"__proto__":{"polluted":1}}') as unknown;
  const merged = mergeUsage(base, update);
  assert.deepEqual(merged, { input_tokens: 10, output_tokens: 40, server_tool_use: { web_search_requests: 3, web_fetch_requests: 1 } });
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.deepEqual(base.server_tool_use, { web_search_requests: 2, web_fetch_requests: 1 }, 'the earlier usage is not changed in place');
});
