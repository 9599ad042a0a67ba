import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzePrefix } from './prefix.js';
import { BLOCK_OVERHEAD, MESSAGE_OVERHEAD, REQUEST_OVERHEAD, textTokens } from './tokens.js';

const family = 'claude-2025' as const;
const sys = 'You are a support agent for Acme. '.repeat(40);
const base = {
  model: 'claude-sonnet-4-6',
  max_tokens: 100,
  tools: [{ name: 'lookup', description: 'Look up an order', input_schema: { type: 'object', properties: { id: { type: 'string' } } } }],
  system: [{ type: 'text', text: sys, cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: 'Where is my order?' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'lookup', input: { id: 'A1' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'shipped' }] },
  ],
};

test('orders blocks tools -> system -> messages and counts tokens additively', () => {
  const a = analyzePrefix(base, { family });
  assert.deepEqual(a.blocks.map((b) => b.path), ['tools[0]', 'system[0]', 'messages[0].content', 'messages[1].content[0]', 'messages[2].content[0]']);
  const sysTokens = textTokens(sys, family) + BLOCK_OVERHEAD;
  assert.equal(a.blocks[1]!.tokens, sysTokens);
  assert.equal(a.blocks[2]!.tokens, textTokens('Where is my order?', family) + BLOCK_OVERHEAD + MESSAGE_OVERHEAD);
  assert.equal(a.totalTokens, a.blocks.at(-1)!.cumTokens + REQUEST_OVERHEAD);
  assert.deepEqual(a.breakpoints.map((b) => [b.block.path, b.ttl]), [['system[0]', '5m']]);
  assert.equal(a.error, null);
});

test('hidden tool-use system prompt is added once, with the tool_choice variant', () => {
  const auto = analyzePrefix(base, { family, toolOverhead: { auto: 497, any: 589 } });
  const any = analyzePrefix({ ...base, tool_choice: { type: 'any' } }, { family, toolOverhead: { auto: 497, any: 589 } });
  const none = analyzePrefix(base, { family });
  assert.equal(auto.totalTokens - none.totalTokens, 497);
  assert.equal(any.totalTokens - none.totalTokens, 589);
});

test('moving a breakpoint does not change hashes; changing a tool changes every hash', () => {
  const a = analyzePrefix(base, { family });
  const moved = analyzePrefix({ ...base, system: [{ type: 'text', text: sys }], cache_control: { type: 'ephemeral' } }, { family });
  assert.deepEqual(moved.blocks.map((b) => b.hash), a.blocks.map((b) => b.hash));
  const toolChanged = analyzePrefix({ ...base, tools: [{ ...base.tools[0]!, description: 'Look up an order by id' }] }, { family });
  for (let i = 0; i < a.blocks.length; i++) assert.notEqual(toolChanged.blocks[i]!.hash, a.blocks[i]!.hash);
});

test('string content and a single text block hash the same; tool_choice changes only message hashes', () => {
  const a = analyzePrefix(base, { family });
  const asBlocks = analyzePrefix({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'Where is my order?' }] }, ...base.messages.slice(1)] }, { family });
  assert.equal(asBlocks.blocks[2]!.hash, a.blocks[2]!.hash);
  const tc = analyzePrefix({ ...base, tool_choice: { type: 'auto' } }, { family });
  assert.equal(tc.blocks[0]!.hash, a.blocks[0]!.hash);
  assert.equal(tc.blocks[1]!.hash, a.blocks[1]!.hash);
  assert.notEqual(tc.blocks[2]!.hash, a.blocks[2]!.hash);
});

test('JSON key order inside tool_use input is part of the prefix (a real cache buster)', () => {
  const a = analyzePrefix({ ...base, messages: [base.messages[0]!, { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'lookup', input: { id: 'A1', v: 1 } }] }] }, { family });
  const b = analyzePrefix({ ...base, messages: [base.messages[0]!, { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'lookup', input: { v: 1, id: 'A1' } }] }] }, { family });
  assert.equal(a.blocks[2]!.hash, b.blocks[2]!.hash);
  assert.notEqual(a.blocks[3]!.hash, b.blocks[3]!.hash);
});

test('consecutive tool_use blocks share one lookback position', () => {
  const a = analyzePrefix(
    { model: 'm', messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [{ type: 'text', text: 'ok' }, { type: 'tool_use', id: '1', name: 'a', input: {} }, { type: 'tool_use', id: '2', name: 'b', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: '1', content: 'x' }, { type: 'tool_result', tool_use_id: '2', content: 'y' }] }] },
    { family },
  );
  assert.deepEqual(a.blocks.map((b) => b.position), [0, 1, 2, 2, 3, 3]);
});

test('automatic caching marks the last cacheable block; rule violations produce the API error text', () => {
  const auto = analyzePrefix({ ...base, system: sys, cache_control: { type: 'ephemeral', ttl: '1h' } }, { family });
  assert.deepEqual(auto.breakpoints.map((b) => [b.block.path, b.ttl, b.automatic]), [['messages[2].content[0]', '1h', true]]);

  const many = { ...base, tools: [1, 2, 3, 4, 5].map((i) => ({ name: `t${i}`, input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } })) };
  assert.match(analyzePrefix(many, { family }).error ?? '', /maximum of 4 blocks with cache_control/);

  const order = { ...base, system: [{ type: 'text', text: sys, cache_control: { type: 'ephemeral', ttl: '1h' } }], tools: [{ ...base.tools[0]!, cache_control: { type: 'ephemeral' } }] };
  assert.match(analyzePrefix(order, { family }).error ?? '', /"1h" cannot come after one with ttl "5m"/);

  const empty = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: '', cache_control: { type: 'ephemeral' } }] }] };
  assert.match(analyzePrefix(empty, { family }).error ?? '', /empty text block/);
});

test('the newer tokenizer family counts about 30% more tokens for the same text', () => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
  const ratio = textTokens(text, 'claude-2026') / textTokens(text, 'claude-2025');
  assert.ok(ratio > 1.25 && ratio < 1.35, `ratio ${ratio}`);
});

test('hashes: false gives the same token counts and breakpoints without hashing', () => {
  const full = analyzePrefix(base, { family, toolOverhead: { auto: 497, any: 589 } });
  const sizes = analyzePrefix(base, { family, toolOverhead: { auto: 497, any: 589 }, hashes: false });
  assert.deepEqual(sizes.blocks.map((b) => [b.path, b.tokens, b.cumTokens, b.position]), full.blocks.map((b) => [b.path, b.tokens, b.cumTokens, b.position]));
  assert.equal(sizes.totalTokens, full.totalTokens);
  assert.deepEqual(sizes.breakpoints.map((b) => b.block.path), full.breakpoints.map((b) => b.block.path));
  assert.ok(sizes.blocks.every((b) => b.hash === ''));
});

test('an image in a tool result changes the message hashes; a tool result that only mentions "image" does not', () => {
  const withResult = (content: unknown) => ({
    ...base,
    messages: [...base.messages.slice(0, 2), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content }] }],
  });
  const plain = analyzePrefix(withResult('shipped'), { family });
  const mentions = analyzePrefix(withResult('{"type":"image","note":"a JSON file the tool read"}'), { family });
  const image = analyzePrefix(withResult([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }]), { family });
  // Blocks before the last are the same content in all three: only the images-anywhere setting can change them.
  assert.equal(mentions.blocks[2]!.hash, plain.blocks[2]!.hash, 'text that says "image" is not an image');
  assert.notEqual(image.blocks[2]!.hash, plain.blocks[2]!.hash, 'an image anywhere invalidates the message cache');
  assert.equal(image.blocks[1]!.hash, plain.blocks[1]!.hash, 'the system cache survives an image');
});

test('a block hashes by its whole value: the same text under another field or type is another block', () => {
  const last = (content: unknown) => analyzePrefix({ ...base, messages: [{ role: 'user', content: [content] }] }, { family }).blocks.at(-1)!.hash;
  const text = last({ type: 'text', text: 'shipped' });
  assert.equal(last({ type: 'text', text: 'shipped', cache_control: { type: 'ephemeral' } }), text, 'the marker is not content');
  assert.notEqual(last({ type: 'text', text: 'shipped', citations: null }), text);
  assert.notEqual(last({ type: 'tool_result', tool_use_id: 'shipped' }), text);
  assert.notEqual(last({ type: 'text', text: 'ship', ped: '' }), text);
  assert.notEqual(last({ type: 'text', text: { cache_control: 1 } }), last({ type: 'text', text: {} }), 'only the block\'s own marker is skipped');
});
