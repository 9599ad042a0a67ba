/**
 * Where breakpoints go, as pure decisions over a request's prefix analysis: a naive client, Claude Code's own
 * pattern, the four-breakpoint limit, the model's minimum, the 20-position lookback, 1h-before-5m order and the
 * automatic top-level cache_control. The markers are then written into the body and re-analysed, so every case
 * also checks that the resulting request is one the API accepts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { analyzePrefix, type PrefixAnalysis, type PrefixBlock } from '../wire/prefix.js';
import { applyMarkers } from './cache-apply.js';
import { placeBreakpoints, type PlacementContext } from './cache-placement.js';
import { chooseTtl } from './cache-ttl.js';

const sonnet = getDefaultCatalog().resolve('claude-sonnet-4-6');
const haiku = getDefaultCatalog().resolve('claude-haiku-4-5');
const opts = { family: 'claude-2025' as const, toolOverhead: sonnet.entry.tool_use_system_prompt_tokens };
const words = (n: number, w = 'policy'): string => Array.from({ length: n }, (_, i) => `${w}${i % 7}`).join(' ');
const SYSTEM = words(1400); // ~3.2k tokens

type Obj = Record<string, unknown>;

function chat(turns: number, extra: Obj = {}): Obj {
  const messages: Obj[] = [];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: `question ${i}: ${words(30, 'order')}` });
    if (i < turns - 1) messages.push({ role: 'assistant', content: `answer ${i}: ${words(80, 'reply')}` });
  }
  return { model: 'claude-sonnet-4-6', max_tokens: 200, system: SYSTEM, messages, ...extra };
}

function ctx(a: PrefixAnalysis, over: Partial<PlacementContext> = {}): PlacementContext {
  return {
    analysis: a,
    minTokens: sonnet.entry.min_cacheable_tokens,
    rates: sonnet.standard,
    continuation: { num: 1, den: 2 },
    turnTtl: chooseTtl(sonnet.standard, []),
    headTtl: () => chooseTtl(sonnet.standard, []),
    branchPoint: () => false,
    seen: () => false,
    anchor: null,
    upgradeClient: false,
    ...over,
  };
}

/** Places, writes the markers into the body, and returns the re-analysed request. */
function place(body: Obj, over: Partial<PlacementContext> = {}): { after: PrefixAnalysis; placed: ReturnType<typeof placeBreakpoints> } {
  const a = analyzePrefix(body, opts);
  const placed = placeBreakpoints(ctx(a, over));
  const after = analyzePrefix(applyMarkers(body, placed.markers), opts);
  assert.equal(after.error, null, 'the API would reject the request');
  assert.ok(after.breakpoints.length <= 4);
  return { after, placed };
}

const paths = (a: PrefixAnalysis): string[] => a.breakpoints.map((b) => `${b.block.path}:${b.ttl}`);

test('naive chat: the system prompt and the newest turn, nothing else', () => {
  const { after } = place(chat(3));
  assert.deepEqual(paths(after), ['system[0]:5m', 'messages[4].content[0]:5m']);
});

test('the body the client sent is not mutated', () => {
  const body = chat(2);
  const copy = structuredClone(body);
  place(body);
  assert.deepEqual(body, copy);
});

test("Claude Code's pattern (two system blocks and the last user block) is kept and nothing is added without evidence", () => {
  const cc = { type: 'ephemeral' };
  const body = chat(3, {
    system: [{ type: 'text', text: 'You are Claude Code.', cache_control: cc }, { type: 'text', text: SYSTEM, cache_control: cc }],
    tools: [{ name: 'bash', description: words(500, 'tool'), input_schema: { type: 'object' } }],
  });
  const msgs = body['messages'] as Obj[];
  msgs[4] = { role: 'user', content: [{ type: 'text', text: 'last', cache_control: cc }] };
  const { after, placed } = place(body);
  assert.deepEqual(placed.markers, []);
  assert.deepEqual(paths(after), ['system[0]:5m', 'system[1]:5m', 'messages[4].content[0]:5m']);
  assert.ok(placed.skipped.some((s) => s.startsWith('tools: the client caches already')));
  // ...but where requests were seen sharing the tools and diverging after them, the fourth slot goes there.
  const { after: withBranch } = place(body, { branchPoint: () => true });
  assert.deepEqual(paths(withBranch), ['tools[0]:5m', 'system[0]:5m', 'system[1]:5m', 'messages[4].content[0]:5m']);
});

test('never more than four breakpoints, whatever the candidates', () => {
  const doc = { type: 'text', text: words(2000, 'clause') };
  const body = {
    ...chat(1),
    tools: [{ name: 'search', description: words(300, 'tool'), input_schema: { type: 'object' } }],
    messages: [{ role: 'user', content: [doc, { type: 'text', text: words(900, 'annex') }, { type: 'text', text: words(1500, 'exhibit') }, { type: 'text', text: 'What is the term?' }] }],
  };
  const { after, placed } = place(body);
  assert.equal(after.breakpoints.length, 4);
  assert.ok(placed.skipped.some((s) => s.includes('no breakpoint slot left')));
});

test("nothing below the model's minimum: Haiku 4.5 (4,096) gets no breakpoint on a ~3.2k-token prompt", () => {
  const { after, placed } = place(chat(1), { minTokens: haiku.entry.min_cacheable_tokens, rates: haiku.standard });
  assert.deepEqual(after.breakpoints, []);
  assert.ok(placed.skipped.some((s) => s.includes('below the model\'s minimum 4096')));
  // The same conversation later crosses the minimum: only blocks at or above it are marked.
  const long = place(chat(12), { minTokens: 4096, rates: haiku.standard }).after;
  for (const bp of long.breakpoints) assert.ok(bp.block.cumTokens >= 4096, `${bp.block.path} at ${bp.block.cumTokens} tokens`);
  assert.equal(long.breakpoints.length, 1);
});

test('one-off requests stop getting a newest-turn breakpoint once continuation odds are low', () => {
  // The system prompt is then the last write, so it is marked only when it was seen before.
  const { after, placed } = place(chat(1), { continuation: { num: 1, den: 6 }, seen: () => true });
  assert.deepEqual(paths(after), ['system[0]:5m']);
  assert.ok(placed.skipped.some((s) => s.startsWith('newest turn: continuation odds 1/6')));
  const unseen = place(chat(1), { continuation: { num: 1, den: 6 } });
  assert.deepEqual(unseen.after.breakpoints, []);
  assert.ok(unseen.placed.skipped.some((s) => s.startsWith('system: not seen before')));
});

test('lookback: an intermediate breakpoint when the cached prefix is 20 or more positions back', () => {
  const body = chat(14);
  const a = analyzePrefix(body, opts);
  const anchor = a.blocks.find((b) => b.path === 'messages[2].content')!;
  const { after, placed } = place(body, { anchor });
  const added = placed.markers.find((m) => m.why === 'lookback');
  assert.ok(added, 'an intermediate breakpoint');
  assert.ok(added.block.position - anchor.position <= 19 && added.block.index > anchor.index);
  assert.equal(after.breakpoints.length, 3);
  // An anchor within reach needs none.
  const near = a.blocks.find((b) => b.path === 'messages[20].content')!;
  assert.equal(place(body, { anchor: near }).placed.markers.some((m) => m.why === 'lookback'), false);
});

test('a run of tool_use or tool_result blocks is one lookback position', () => {
  const tools = Array.from({ length: 30 }, (_, i) => ({ type: 'tool_use', id: `t${i}`, name: 'read', input: { path: `f${i}` } }));
  const results = tools.map((t) => ({ type: 'tool_result', tool_use_id: t.id, content: 'ok' }));
  const body = { ...chat(1), messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: tools }, { role: 'user', content: results }] };
  const a = analyzePrefix(body, opts);
  const anchor = a.blocks.find((b) => b.path === 'messages[0].content')!;
  assert.equal(place(body, { anchor }).placed.markers.some((m) => m.why === 'lookback'), false);
});

test('1h before 5m: a 1h newest turn raises the 5m system breakpoint before it', () => {
  const late = Array.from({ length: 6 }, () => 20 * 60_000);
  // (a 1h write pays only above 0.526 continuation odds)
  const { after } = place(chat(3), { turnTtl: chooseTtl(sonnet.standard, late), continuation: { num: 9, den: 10 } });
  assert.deepEqual(paths(after), ['system[0]:1h', 'messages[4].content[0]:1h']);
  assert.deepEqual(paths(place(chat(3), { turnTtl: chooseTtl(sonnet.standard, late) }).after), []);
});

test("a client's 5m breakpoint is raised to 1h only when allowed and its gaps say so", () => {
  const body = chat(2, { system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }] });
  const late = (): ReturnType<typeof chooseTtl> => chooseTtl(sonnet.standard, Array.from({ length: 6 }, () => 20 * 60_000));
  assert.deepEqual(paths(place(body, { headTtl: late }).after)[0], 'system[0]:5m');
  assert.deepEqual(paths(place(body, { headTtl: late, upgradeClient: true }).after)[0], 'system[0]:1h');
});

test('automatic top-level cache_control: kept, counted as the client\'s own, never doubled on the last block', () => {
  const body = chat(3, { cache_control: { type: 'ephemeral' } });
  const { after, placed } = place(body);
  assert.ok(placed.markers.every((m) => m.block.path !== 'messages[4].content'));
  assert.deepEqual(paths(after), ['messages[4].content:5m']);
  assert.equal(after.breakpoints.at(-1)!.automatic, true);
  // The client caches already, so the system prompt gets its own breakpoint once other conversations share it.
  assert.deepEqual(paths(place(body, { branchPoint: () => true }).after), ['system[0]:5m', 'messages[4].content:5m']);
});

test('a request the API would reject for its cache_control is left alone', () => {
  const bad = chat(1, { system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }], cache_control: { type: 'ephemeral', ttl: '1h' } });
  const a = analyzePrefix(bad, opts);
  assert.notEqual(a.error, null);
  const placed = placeBreakpoints(ctx(a));
  assert.deepEqual(placed.markers, []);
});

test('a long document in the messages gets its own breakpoint (questions over a shared document)', () => {
  const body = { ...chat(1), messages: [{ role: 'user', content: [{ type: 'text', text: words(6000, 'clause') }, { type: 'text', text: 'What is the notice period?' }] }] };
  const { after } = place(body);
  const doc: PrefixBlock = after.blocks.find((b) => b.path === 'messages[0].content[0]')!;
  assert.ok(after.breakpoints.some((b) => b.block.index === doc.index));
});
