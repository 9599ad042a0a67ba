import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { Usage } from '../pricing/usage.js';
import { ManualClock } from './clock.js';
import { startEmulator, type RunningEmulator } from './server.js';

const MODEL = 'claude-sonnet-4-6';
const MIN = getDefaultCatalog().resolve(MODEL).entry.min_cacheable_tokens;
const clock = new ManualClock();
let emu: RunningEmulator;
let client: Anthropic;

before(async () => {
  emu = await startEmulator({ env: {}, clock, workspaces: { 'sk-ant-team-b': 'wrkspc_b' } });
  client = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
after(() => emu.close());
beforeEach(() => emu.cache.clear());

type Params = Anthropic.MessageCreateParamsNonStreaming;
const cc = { type: 'ephemeral' } as const;
const cc1h = { type: 'ephemeral', ttl: '1h' } as const;
/** A system prompt of about `tokens` tokens. */
const longText = (tokens: number, seed = 'policy'): string => `${seed}: ` + 'Answer politely and cite the handbook. '.repeat(Math.ceil((tokens * 3.5) / 39));
const tools: Anthropic.Tool[] = [
  { name: 'search_docs', description: 'Search the documentation. '.repeat(30), input_schema: { type: 'object', properties: { q: { type: 'string' } } } },
  { name: 'open_ticket', description: 'Open a support ticket. '.repeat(30), input_schema: { type: 'object', properties: { title: { type: 'string' } } } },
];

async function usageOf(p: Params, c = client): Promise<Anthropic.Usage> {
  return (await c.messages.create(p)).usage;
}
async function total(p: Params): Promise<number> {
  const { max_tokens: _m, ...rest } = p;
  return (await client.messages.countTokens(rest as Anthropic.MessageCountTokensParams)).input_tokens;
}
const inputSum = (u: Anthropic.Usage): number => u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

describe('prompt caching through the SDK', () => {
  test('a second identical request reads what the first wrote', async () => {
    const p: Params = { model: MODEL, max_tokens: 50, system: [{ type: 'text', text: longText(2000), cache_control: cc }], messages: [{ role: 'user', content: 'hi' }] };
    const first = await usageOf(p);
    const second = await usageOf(p);
    assert.ok((first.cache_creation_input_tokens ?? 0) >= MIN);
    assert.equal(first.cache_read_input_tokens, 0);
    assert.equal(first.cache_creation?.ephemeral_5m_input_tokens, first.cache_creation_input_tokens);
    assert.equal(second.cache_read_input_tokens, first.cache_creation_input_tokens);
    assert.equal(second.cache_creation_input_tokens, 0);
    assert.equal(second.input_tokens, first.input_tokens);
    assert.equal(inputSum(second), await total(p));
  });

  test('streamed responses carry the same cache usage in message_start and message_delta', async () => {
    const p: Params = { model: MODEL, max_tokens: 50, system: [{ type: 'text', text: longText(2000), cache_control: cc }], messages: [{ role: 'user', content: 'stream it' }] };
    const first = await client.messages.stream(p).finalMessage();
    const stream = client.messages.stream(p);
    let startUsage: Anthropic.Usage | undefined;
    stream.on('streamEvent', (ev) => {
      if (ev.type === 'message_start') startUsage = ev.message.usage;
    });
    const second = await stream.finalMessage();
    assert.equal(startUsage?.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.input_tokens, startUsage?.input_tokens);
  });

  test('a prefix below the model minimum is silently not cached', async () => {
    const p: Params = { model: MODEL, max_tokens: 50, system: [{ type: 'text', text: longText(MIN / 2), cache_control: cc }], messages: [{ role: 'user', content: 'hi' }] };
    for (let i = 0; i < 2; i++) {
      const u = await usageOf(p);
      assert.equal(u.cache_creation_input_tokens, 0);
      assert.equal(u.cache_read_input_tokens, 0);
      assert.equal(u.input_tokens, await total(p));
    }
  });

  test('a changed tool definition misses everything; a changed last message still reads tools and system', async () => {
    const base = (toolset: Anthropic.Tool[], question: string): Params => ({
      model: MODEL, max_tokens: 50, tools: toolset,
      system: [{ type: 'text', text: longText(1500), cache_control: cc }],
      messages: [{ role: 'user', content: [{ type: 'text', text: question, cache_control: cc }] }],
    });
    const first = await usageOf(base(tools, 'How do I reset my password?'));
    assert.equal(first.cache_read_input_tokens, 0);

    const changedTools = [tools[0]!, { ...tools[1]!, description: 'Open a support ticket, now with priorities.' }];
    const missed = await usageOf(base(changedTools, 'How do I reset my password?'));
    assert.equal(missed.cache_read_input_tokens, 0);
    assert.equal(missed.cache_creation_input_tokens, inputSum(missed) - missed.input_tokens);
    assert.ok((missed.cache_creation_input_tokens ?? 0) > 0);

    const otherQuestion = await usageOf(base(tools, 'And how do I change my email address?'));
    // what was read is exactly tools + system: measured on a fresh cache as the write of a request marked only there
    emu.cache.clear();
    const prefixOnly = await usageOf({ model: MODEL, max_tokens: 50, tools, system: [{ type: 'text', text: longText(1500), cache_control: cc }], messages: [{ role: 'user', content: 'x' }] });
    assert.ok((prefixOnly.cache_creation_input_tokens ?? 0) > 0);
    assert.equal(otherQuestion.cache_read_input_tokens, prefixOnly.cache_creation_input_tokens);
    assert.ok((otherQuestion.cache_creation_input_tokens ?? 0) > 0, 'the new message is written at its own breakpoint');
  });

  test('a conversation grown 25 blocks past the last write misses with one breakpoint and hits with two', async () => {
    const system = longText(1200);
    const turns = (n: number): Anthropic.MessageParam[] => Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `turn ${i}: some words about the topic at hand` }));
    const mark = (ms: Anthropic.MessageParam[], at: number[]): Anthropic.MessageParam[] =>
      ms.map((m, i) => (at.includes(i) ? { role: m.role, content: [{ type: 'text', text: m.content as string, cache_control: cc }] } : m));
    const first: Params = { model: MODEL, max_tokens: 20, system, messages: mark(turns(5), [4]) };
    const w = await usageOf(first);
    assert.ok((w.cache_creation_input_tokens ?? 0) > 0);

    const grownOne: Params = { model: MODEL, max_tokens: 20, system, messages: mark(turns(31), [30]) };
    const miss = await usageOf(grownOne);
    assert.equal(miss.cache_read_input_tokens, 0);

    emu.cache.clear();
    await usageOf(first);
    const grownTwo: Params = { model: MODEL, max_tokens: 20, system, messages: mark(turns(31), [16, 30]) };
    const hit = await usageOf(grownTwo);
    assert.equal(hit.cache_read_input_tokens, w.cache_creation_input_tokens);
  });

  test('1h entries outlive 5m ones on the injected clock, and TTLs refresh on a hit', async () => {
    const p: Params = {
      model: MODEL, max_tokens: 20,
      system: [{ type: 'text', text: longText(1500), cache_control: cc1h }],
      messages: [{ role: 'user', content: [{ type: 'text', text: longText(1200, 'context'), cache_control: cc }] }],
    };
    const first = await usageOf(p);
    const w1h = first.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    const w5m = first.cache_creation?.ephemeral_5m_input_tokens ?? 0;
    assert.ok(w1h > 0 && w5m > 0);

    clock.advance(4 * 60_000);
    const warm = await usageOf(p);
    assert.equal(warm.cache_read_input_tokens, w1h + w5m);
    clock.advance(4 * 60_000); // 8 minutes after the write, 4 after the refreshing hit
    const stillWarm = await usageOf(p);
    assert.equal(stillWarm.cache_read_input_tokens, w1h + w5m);

    clock.advance(6 * 60_000); // the 5m entry is gone, the 1h one is not
    const partial = await usageOf(p);
    assert.equal(partial.cache_read_input_tokens, w1h);
    assert.equal(partial.cache_creation?.ephemeral_5m_input_tokens, w5m);

    clock.advance(61 * 60_000);
    const cold = await usageOf(p);
    assert.equal(cold.cache_read_input_tokens, 0);
    assert.equal(cold.cache_creation?.ephemeral_1h_input_tokens, w1h);
  });

  test('top-level automatic cache_control caches the last block and moves forward with the conversation', async () => {
    const system = longText(1500);
    const t1 = { model: MODEL, max_tokens: 20, system, cache_control: cc, messages: [{ role: 'user' as const, content: 'first question' }] } as Params;
    const u1 = await usageOf(t1);
    assert.equal(u1.cache_creation_input_tokens, inputSum(u1) - u1.input_tokens);
    assert.ok((u1.cache_creation_input_tokens ?? 0) > 0);
    const t2 = { ...t1, messages: [...t1.messages, { role: 'assistant' as const, content: 'an answer' }, { role: 'user' as const, content: 'second question' }] } as Params;
    const u2 = await usageOf(t2);
    assert.equal(u2.cache_read_input_tokens, u1.cache_creation_input_tokens);
    assert.ok((u2.cache_creation_input_tokens ?? 0) > 0);
  });

  test('max_tokens 0 pre-warms the cache without output', async () => {
    const p: Params = { model: MODEL, max_tokens: 0, system: [{ type: 'text', text: longText(2000), cache_control: cc }], messages: [{ role: 'user', content: 'hi' }] };
    const warm = await client.messages.create(p);
    assert.deepEqual(warm.content, []);
    assert.equal(warm.stop_reason, 'max_tokens');
    assert.equal(warm.usage.output_tokens, 0);
    assert.ok((warm.usage.cache_creation_input_tokens ?? 0) > 0);
    const real = await usageOf({ ...p, max_tokens: 100 });
    assert.equal(real.cache_read_input_tokens, warm.usage.cache_creation_input_tokens);
  });

  test('caches are isolated per workspace', async () => {
    const p: Params = { model: MODEL, max_tokens: 20, system: [{ type: 'text', text: longText(2000), cache_control: cc }], messages: [{ role: 'user', content: 'hi' }] };
    await usageOf(p);
    const other = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-team-b', maxRetries: 0 });
    const u = await usageOf(p, other);
    assert.equal(u.cache_read_input_tokens, 0);
    assert.ok((u.cache_creation_input_tokens ?? 0) > 0);
    const sameWorkspace = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-another-default-key', maxRetries: 0 });
    assert.ok(((await usageOf(p, sameWorkspace)).cache_read_input_tokens ?? 0) > 0);
  });

  test('the ledger prices every cached and uncached response exactly as priceUsage does', async () => {
    emu.ledger.reset();
    const p: Params = { model: MODEL, max_tokens: 30, system: [{ type: 'text', text: longText(2000), cache_control: cc1h }], messages: [{ role: 'user', content: 'hi' }] };
    const usages = [await usageOf(p), await usageOf(p)];
    const entries = emu.ledger.entries();
    assert.equal(entries.length, 2);
    usages.forEach((u, i) => assert.equal(entries[i]!.costPico, priceUsage(getDefaultCatalog(), MODEL, u as Usage).total));
    assert.ok(entries[1]!.costPico < entries[0]!.costPico);
  });
});
