import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyzePrefix, type PrefixOptions } from './prefix.js';
import { sameValue, TrailCache, type Trail } from './prefix-reuse.js';

type Obj = Record<string, unknown>;

test('sameValue: key order and nesting count, undefined members do not, a block\'s own cache_control does not', () => {
  assert.ok(sameValue({ type: 'text', text: 'a' }, { type: 'text', text: 'a' }));
  assert.ok(!sameValue({ type: 'text', text: 'a' }, { text: 'a', type: 'text' }), 'key order is part of the prompt');
  assert.ok(sameValue({ type: 'text', text: 'a', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'a' }, true));
  assert.ok(!sameValue({ type: 'text', text: 'a', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'a' }), 'only at the top');
  assert.ok(!sameValue({ input: { cache_control: 1 } }, { input: {} }, true), 'a nested cache_control is content');
  assert.ok(sameValue({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!sameValue([1, [2, 3]], [1, [2, 3, 4]]));
  assert.ok(!sameValue({ a: null }, { a: {} }));
  assert.ok(!sameValue({ a: [] }, { a: {} }));
  assert.ok(!sameValue('1', 1));
  const shared = { type: 'text', text: 'a' };
  assert.ok(!sameValue(shared, shared), 'one object on both sides may have changed in place: not vouched for');
  assert.ok(!sameValue({ input: shared }, { input: shared }));
});

test('a caller that changes its own block objects in place between prompts gets the new hashes', () => {
  const block = { type: 'text', text: 'first version' };
  const body = { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: [block] }] };
  const before = analyzePrefix(body, { family: 'claude-2025' }).blocks.at(-1)!.hash;
  block.text = 'second version';
  const after = analyzePrefix(body, { family: 'claude-2025' });
  assert.notEqual(after.blocks.at(-1)!.hash, before);
  assert.deepEqual(after, analyzePrefix(structuredClone(body), { family: 'claude-2025', reuse: false }));
});

// A conversation as clients grow it: each turn resends everything before, moves its cache_control marker to the
// newest block, and now and then changes a setting, the system prompt or a tool, or edits an earlier turn.
const block = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 40 }) }),
  fc.record({ type: fc.constant('tool_use'), id: fc.string({ maxLength: 4 }), name: fc.constantFrom('read', 'grep'), input: fc.dictionary(fc.constantFrom('path', 'q'), fc.string({ maxLength: 8 })) }),
  fc.record({ type: fc.constant('tool_result'), tool_use_id: fc.string({ maxLength: 4 }), content: fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 20 }) }), { maxLength: 2 })) }),
);
const message = fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.oneof(fc.string({ maxLength: 30 }), fc.array(block, { minLength: 1, maxLength: 3 })) });
const change = fc.constantFrom('append', 'append', 'append', 'move-marker', 'tool_choice', 'system', 'tool', 'edit-earlier', 'string-system', 'model');

test('a prompt analysed with reused trails equals the same prompt hashed from scratch, turn after turn', () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(change, message), { maxLength: 8 }), fc.nat(), (start, turns, salt) => {
      let body: Obj = {
        model: 'claude-sonnet-4-6',
        max_tokens: 100,
        tools: [{ name: `read${salt % 3}`, description: 'Reads a file', input_schema: { type: 'object' } }],
        system: [{ type: 'text', text: 'You are a coding agent.' }],
        messages: start,
      };
      const opts: PrefixOptions = { family: 'claude-2025', toolOverhead: { auto: 346, any: 313 } };
      for (const [what, m] of turns) {
        const messages = [...(body['messages'] as Obj[])];
        if (what === 'append') messages.push(m);
        if (what === 'edit-earlier' && messages.length > 0) messages[0] = m;
        if (what === 'move-marker') {
          const last = messages.at(-1);
          if (last && Array.isArray(last['content']) && last['content'].length > 0) {
            const content = [...(last['content'] as Obj[])];
            content[content.length - 1] = { ...content.at(-1)!, cache_control: { type: 'ephemeral' } };
            messages[messages.length - 1] = { ...last, content };
          }
        }
        body = { ...body, messages };
        if (what === 'tool_choice') body = { ...body, tool_choice: { type: 'any' } };
        if (what === 'system') body = { ...body, system: [{ type: 'text', text: `You are a coding agent. ${salt}` }] };
        if (what === 'string-system') body = { ...body, system: 'You are a coding agent.' };
        if (what === 'tool') body = { ...body, tools: [...(body['tools'] as Obj[]), { name: 'grep', input_schema: { type: 'object' } }] };
        if (what === 'model') body = { ...body, model: 'claude-haiku-4-5' };
        // A fresh copy, as a new request is a fresh parse: nothing is shared with the body analysed before.
        const sent = structuredClone(body);
        const reused = analyzePrefix(sent, opts);
        const fresh = analyzePrefix(structuredClone(body), { ...opts, reuse: false });
        assert.deepEqual(reused, fresh);
      }
    }),
    { numRuns: 300 },
  );
});

test('a resent conversation reuses its earlier hashes: the same result as hashing it again', () => {
  const turn = (n: number): Obj => ({
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    system: 'You are a coding agent.',
    messages: Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `turn ${i} `.repeat(50) })),
  });
  const first = analyzePrefix(turn(3), { family: 'claude-2025' });
  const second = analyzePrefix(turn(5), { family: 'claude-2025' });
  assert.deepEqual(second.blocks.slice(0, first.blocks.length).map((b) => b.hash), first.blocks.map((b) => b.hash));
  assert.deepEqual(second, analyzePrefix(turn(5), { family: 'claude-2025', reuse: false }));
});

test('the trail cache keeps one trail per conversation, a few per setting, and a bounded amount of prompt text', () => {
  const unit = (state: string, tokens = 10) => ({ pending: '', first: false, role: '', value: state, tokens, state });
  const trail = (...states: string[]): Trail => states.map((st) => unit(st));
  const cache = new TrailCache(3, 1_000);
  cache.remember('f|m', trail('a', 'b'));
  cache.remember('f|m', trail('a', 'b', 'c'));
  assert.deepEqual(cache.candidates('f|m').map((t) => t.length), [3], 'the next turn replaces the turn it extends');
  cache.remember('f|m', trail('a', 'x'));
  cache.remember('f|m', trail('y'));
  cache.remember('f|m', trail('z'));
  assert.deepEqual(cache.candidates('f|m').map((t) => t.at(-1)!.state), ['z', 'y', 'x'], 'the latest first, at most three');
  cache.remember('g|m', [unit('big', 220)]);
  // Trails count ~4 characters a token: 160 kept so far, 880 more passes the 1,000 bound, so older trails make room.
  assert.deepEqual(cache.candidates('g|m').map((t) => t[0]!.state), ['big']);
  assert.ok(cache.candidates('f|m').length < 3, 'the least recently used setting gave way');
  cache.remember('h|m', [unit('huge', 1_000)]);
  assert.deepEqual(cache.candidates('h|m'), [], 'a prompt larger than the whole bound is not kept');
});
