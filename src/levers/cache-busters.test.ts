/**
 * Cache busters: each kind of change a client makes between two requests of a session, and the block (or field)
 * the lever names as where the prefix broke; plus the one safe fix, sorting tool_use input keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzePrefix } from '../wire/prefix.js';
import { sortToolUseInputs } from './cache-apply.js';
import { findBuster, isBuster, volatileChange, type Seen } from './cache-busters.js';

type Obj = Record<string, unknown>;
const family = 'claude-2025' as const;
const seen = (body: Obj): Seen => ({ body, analysis: analyzePrefix(body, { family }) });
const SYSTEM = 'You are the support assistant of Acme. Answer briefly and cite the policy. '.repeat(20);
const tool = { name: 'lookup', description: 'Look up an order', input_schema: { type: 'object', properties: { id: { type: 'string' }, region: { type: 'string' } } } };

function body(over: Obj = {}): Obj {
  return {
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    tools: [tool],
    system: SYSTEM,
    messages: [
      { role: 'user', content: 'Where is my order A1?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'lookup', input: { id: 'A1', region: 'eu' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'shipped' }] },
    ],
    ...over,
  };
}

test('a request that extends the previous one is no buster', () => {
  const prev = body();
  const next = body({ messages: [...(prev['messages'] as Obj[]), { role: 'assistant', content: 'It shipped.' }, { role: 'user', content: 'Thanks' }] });
  assert.equal(findBuster(seen(prev), seen(next), true), null);
});

test('a timestamp in the system prompt: volatile_text at system, with the two values', () => {
  const prev = body({ system: `Current time: 2026-11-24T07:31:02Z. ${SYSTEM}` });
  const next = body({ system: `Current time: 2026-11-24T07:32:15Z. ${SYSTEM}` });
  const b = findBuster(seen(prev), seen(next), true);
  assert.equal(b?.kind, 'volatile_text');
  assert.equal(b.path, 'system');
  assert.match(b.detail, /"2026-11-24T07:31:02Z\." became "2026-11-24T07:32:15Z\."|2026-11-24T07:31:02Z.*2026-11-24T07:32:15Z/);
  // everything before the system prompt (the tool) was still cached
  assert.ok(b.lostTokens > 0);
});

test('a request id in the first message is volatile; a reworded sentence is not', () => {
  assert.ok(volatileChange('request 7f3a9c21e4b0 for you', 'request 0c8e11aa93d2 for you'));
  assert.ok(volatileChange('Today is 2026-11-24.', 'Today is 2026-11-25.'));
  assert.equal(volatileChange('Be brief.', 'Be thorough.'), null);
});

test('the same tool with its JSON keys in another order: tool_key_order at tools[0]', () => {
  const reordered = { input_schema: tool.input_schema, description: tool.description, name: tool.name };
  const b = findBuster(seen(body()), seen(body({ tools: [reordered] })), true);
  assert.equal(b?.kind, 'tool_key_order');
  assert.equal(b.path, 'tools[0]');
  assert.equal(b.lostTokens, 0);
});

test('a changed tool description: tool_definitions naming the tool', () => {
  const b = findBuster(seen(body()), seen(body({ tools: [{ ...tool, description: 'Look up an order by id' }] })), true);
  assert.equal(b?.kind, 'tool_definitions');
  assert.match(b.detail, /lookup/);
});

test('tool_use input keys in another order (a Go or Swift client): tool_input_key_order, fixed by sorting', () => {
  const prev = body();
  const msgs = structuredClone(prev['messages']) as Obj[];
  (msgs[1]!['content'] as Obj[])[0] = { type: 'tool_use', id: 'tu_1', name: 'lookup', input: { region: 'eu', id: 'A1' } };
  const next = body({ messages: msgs });
  const b = findBuster(seen(prev), seen(next), true);
  assert.equal(b?.kind, 'tool_input_key_order');
  assert.equal(b.path, 'messages[1].content[0]');
  assert.equal(sortToolUseInputs(prev), null, 'already sorted: nothing to do');
  const c = sortToolUseInputs(next);
  assert.ok(c);
  assert.equal(findBuster(seen(prev), seen(c), true), null);
});

test('a model switch, and a settings switch, are named', () => {
  assert.equal(findBuster(seen(body()), seen(body({ model: 'claude-opus-4-7' })), true)?.kind, 'model_switch');
  const s = findBuster(seen(body()), seen(body({ tool_choice: { type: 'any' } })), true);
  assert.equal(s?.kind, 'settings');
  assert.equal(s.path, 'tool_choice');
  const t = findBuster(seen(body()), seen(body({ thinking: { type: 'enabled', budget_tokens: 2000 } })), true);
  assert.equal(t?.path, 'thinking');
});

test('another conversation, or a retried latest turn, is not a buster; an edited earlier turn is', () => {
  const other = body({ messages: [{ role: 'user', content: 'Do you ship to Norway?' }] });
  const b = findBuster(seen(body()), seen(other), false);
  assert.equal(b?.kind, 'new_conversation');
  assert.equal(isBuster(b), false);
  const prev = body();
  const retried = structuredClone(prev['messages']) as Obj[];
  (retried[2]!['content'] as Obj[])[0] = { type: 'tool_result', tool_use_id: 'tu_1', content: 'delivered to the neighbour' };
  const r = findBuster(seen(prev), seen(body({ messages: retried })), true);
  assert.equal(r?.kind, 'turn_replaced');
  assert.equal(isBuster(r), false);
  const edited = structuredClone(prev['messages']) as Obj[];
  (edited[1]!['content'] as Obj[])[0] = { type: 'tool_use', id: 'tu_1', name: 'lookup', input: { id: 'A2', region: 'eu' } };
  const e = findBuster(seen(prev), seen(body({ messages: edited })), true);
  assert.equal(e?.kind, 'history_changed');
  assert.equal(e.path, 'messages[1].content[0]');
});

test('without a session id, another feature of the same app (other system prompt, other tools) is no buster', () => {
  const support = body();
  const search = body({ system: 'You rank search results for a shop. Reply with ids only. '.repeat(20), tools: [{ ...tool, name: 'search' }] });
  for (const [a, b] of [[support, search], [search, support]] as const) {
    const sysOnly = findBuster(seen(a), seen({ ...b, tools: a['tools'] }), false);
    assert.equal(isBuster(sysOnly), false, JSON.stringify(sysOnly));
    assert.equal(isBuster(findBuster(seen(a), seen(b), false)), false);
  }
  // a volatile value is still caught without a session: it is the same prompt edited
  const t1 = body({ system: `Current time: 2026-11-24T07:31:02Z. ${SYSTEM}` });
  const t2 = body({ system: `Current time: 2026-11-24T07:32:15Z. ${SYSTEM}` });
  assert.equal(findBuster(seen(t1), seen(t2), false)?.kind, 'volatile_text');
  // and within a known session, a rewritten system prompt is still reported
  assert.equal(findBuster(seen(support), seen({ ...search, tools: support['tools'] }), true)?.kind, 'system_changed');
});
