import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { Usage } from '../pricing/usage.js';
import { startEmulator, type RunningEmulator } from './server.js';

const MODEL = 'claude-sonnet-4-6';
let emu: RunningEmulator;
let client: Anthropic;

before(async () => {
  emu = await startEmulator({
    env: {},
    scenarios: [
      { name: 'weather', match: { user: '/weather in \\w+/i' }, text: 'Let me check.', tool_calls: [{ name: 'get_weather', input: { city: 'Paris', unit: 'celsius', days: [1, 2, 3] } }] },
      { name: 'think', match: { user: 'think hard' }, text: 'Done thinking.', thinking_tokens: 300 },
    ],
  });
  client = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
after(() => emu.close());

const user = (text: string): Anthropic.MessageParam[] => [{ role: 'user', content: text }];

describe('messages through the official SDK', () => {
  test('create returns a message whose usage adds up to count_tokens, and is deterministic', async () => {
    const params = { model: MODEL, max_tokens: 300, system: 'You answer briefly.', messages: user('What is a prompt cache?') };
    const m = await client.messages.create(params);
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.match(m.id, /^msg_/);
    assert.equal(m.stop_reason, 'end_turn');
    const text = m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    assert.ok(text.length > 0);
    const counted = await client.messages.countTokens({ model: MODEL, system: params.system, messages: params.messages });
    const u = m.usage;
    assert.equal(u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0), counted.input_tokens);
    assert.ok(u.output_tokens > 0);
    assert.equal(u.service_tier, 'standard');
    assert.deepEqual(u.cache_creation, { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
    const again = await client.messages.create(params);
    assert.deepEqual(again.content, m.content);
  });

  test('the default answer grows with the prompt', async () => {
    const short = await client.messages.create({ model: MODEL, max_tokens: 4000, messages: user('hi') });
    const long = await client.messages.create({ model: MODEL, max_tokens: 4000, messages: user('Explain this in detail please. '.repeat(60)) });
    assert.ok(long.usage.output_tokens > short.usage.output_tokens + 50, `${long.usage.output_tokens} vs ${short.usage.output_tokens}`);
  });

  test('messages.stream() with finalMessage() gives the same content and usage as create', async () => {
    const params = { model: MODEL, max_tokens: 300, messages: user('Tell me about streaming.') };
    const stream = client.messages.stream(params);
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    const plain = await client.messages.create(params);
    assert.deepEqual(final.content, plain.content);
    assert.equal(final.usage.output_tokens, plain.usage.output_tokens);
    assert.equal(final.usage.input_tokens, plain.usage.input_tokens);
    assert.ok(texts.length > 1, 'text arrives in several deltas');
  });

  test('raw streaming sends the API event sequence with input usage first and cumulative usage last', async () => {
    const res = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 200, stream: true, messages: user('What is the weather in Paris?') }),
    });
    assert.equal(res.headers.get('content-type')?.startsWith('text/event-stream'), true);
    assert.match(res.headers.get('request-id') ?? '', /^req_/);
    const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => {
      const [ev, data] = e.split('\n');
      return { event: ev!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) as Record<string, unknown> };
    });
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.ok(names.includes('ping'));
    assert.equal(names.at(-2), 'message_delta');
    assert.equal(names.at(-1), 'message_stop');
    const startUsage = (events[0]!.data['message'] as { usage: Usage }).usage;
    assert.equal(startUsage.output_tokens, 1);
    const delta = events.at(-2)!.data as { delta: { stop_reason: string }; usage: Usage };
    assert.equal(delta.delta.stop_reason, 'tool_use');
    assert.equal(delta.usage.input_tokens, startUsage.input_tokens);
    assert.ok((delta.usage.output_tokens ?? 0) > 1);
    const jsonPieces = events.filter((e) => (e.data['delta'] as { type?: string } | undefined)?.type === 'input_json_delta');
    assert.ok(jsonPieces.length >= 3, 'tool input arrives in several input_json_delta pieces');

    // and the SDK's raw iterator sees the same sequence (it drops ping)
    const raw = await client.messages.create({ model: MODEL, max_tokens: 200, stream: true, messages: user('What is the weather in Paris?') });
    const types: string[] = [];
    let json = '';
    for await (const ev of raw) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') json += ev.delta.partial_json;
    }
    assert.deepEqual(JSON.parse(json), { city: 'Paris', unit: 'celsius', days: [1, 2, 3] });
    assert.equal(types.filter((t) => t === 'content_block_start').length, 2);
  });

  test('a tool-calling scenario returns tool_use blocks and stop_reason tool_use', async () => {
    const m = await client.messages.create({
      model: MODEL, max_tokens: 500, messages: user('what is the weather in Paris'),
      tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    assert.equal(m.stop_reason, 'tool_use');
    const call = m.content.find((b) => b.type === 'tool_use');
    assert.ok(call && call.type === 'tool_use');
    assert.equal(call.name, 'get_weather');
    assert.match(call.id, /^toolu_/);
    // the follow-up with the tool_result is accepted
    const next = await client.messages.create({
      model: MODEL, max_tokens: 100,
      messages: [...user('what is the weather in Paris'), { role: 'assistant', content: m.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C, sunny' }] }],
    });
    assert.equal(next.type, 'message');
  });

  test('thinking tokens are billed as output and shown as a thinking block only when thinking is on', async () => {
    const on = await client.messages.create({ model: MODEL, max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: user('think hard about it') });
    const off = await client.messages.create({ model: MODEL, max_tokens: 4000, messages: user('think hard about it') });
    assert.equal(on.content[0]?.type, 'thinking');
    assert.equal(off.content.some((b) => b.type === 'thinking'), false);
    assert.equal(on.usage.output_tokens - off.usage.output_tokens, 300);
    const streamed = await client.messages.stream({ model: MODEL, max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: user('think hard about it') }).finalMessage();
    assert.deepEqual(streamed.content, on.content);
  });

  test('max_tokens truncates, stop_sequences stop (the matched text excluded)', async () => {
    const long = await client.messages.create({ model: MODEL, max_tokens: 4000, messages: user('Explain this in detail please. '.repeat(20)) });
    const cut = await client.messages.create({ model: MODEL, max_tokens: 5, messages: user('Explain this in detail please. '.repeat(20)) });
    assert.equal(cut.stop_reason, 'max_tokens');
    assert.equal(cut.usage.output_tokens, 5);
    const fullText = long.content[0]?.type === 'text' ? long.content[0].text : '';
    const cutText = cut.content[0]?.type === 'text' ? cut.content[0].text : '';
    assert.ok(fullText.startsWith(cutText) && cutText.length < fullText.length);
    const word = fullText.split(' ')[3]!;
    const stopped = await client.messages.create({ model: MODEL, max_tokens: 4000, stop_sequences: [word], messages: user('Explain this in detail please. '.repeat(20)) });
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, word);
    const st = stopped.content[0]?.type === 'text' ? stopped.content[0].text : '';
    assert.equal(st, fullText.slice(0, fullText.indexOf(word)));
    assert.ok(stopped.usage.output_tokens < long.usage.output_tokens);
  });

  test('models list and retrieve come from the catalog', async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    assert.ok(ids.includes(MODEL));
    const m = await client.models.retrieve(MODEL);
    const entry = getDefaultCatalog().resolve(MODEL).entry;
    assert.equal(m.max_input_tokens, entry.context_window);
    assert.equal(m.max_tokens, entry.max_output);
    assert.equal(m.capabilities?.thinking.supported, true);
    await assert.rejects(client.models.retrieve('claude-nope-1'), Anthropic.NotFoundError);
  });

  test('tools add the hidden tool-use system prompt from the catalog, more for tool_choice any than auto', async () => {
    const tools: Anthropic.Tool[] = [{ name: 'lookup', description: 'Look something up', input_schema: { type: 'object' } }];
    const base = { model: MODEL, messages: user('hi') };
    const auto = (await client.messages.countTokens({ ...base, tools, tool_choice: { type: 'auto' } })).input_tokens;
    const any = (await client.messages.countTokens({ ...base, tools, tool_choice: { type: 'any' } })).input_tokens;
    const none = (await client.messages.countTokens(base)).input_tokens;
    const hidden = getDefaultCatalog().resolve(MODEL).entry.tool_use_system_prompt_tokens!;
    assert.equal(any - auto, hidden.any - hidden.auto);
    assert.ok(auto - none > hidden.auto);
  });

  test('inference_geo "us" is reported in usage and billed at its multiplier', async () => {
    emu.ledger.reset();
    const params = { model: MODEL, max_tokens: 100, messages: user('where am I served?') };
    const global = await client.messages.create(params);
    const us = await client.messages.create({ ...params, inference_geo: 'us' } as Anthropic.MessageCreateParamsNonStreaming);
    assert.equal((global.usage as Usage).inference_geo, 'global');
    assert.equal((us.usage as Usage).inference_geo, 'us');
    const [g, u] = emu.ledger.entries();
    assert.equal(u!.costPico * 10n, g!.costPico * 11n);
  });

  test('an alias is answered with the canonical model id', async () => {
    const m = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: user('hi') });
    assert.equal(m.model, getDefaultCatalog().resolve('claude-haiku-4-5').entry.id);
    assert.notEqual(m.model, 'claude-haiku-4-5');
  });

  test('HEAD / and HEAD /api/hello answer (Claude Code connectivity probes), with a request-id', async () => {
    for (const p of ['/', '/api/hello']) {
      const r = await fetch(emu.url + p, { method: 'HEAD' });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('request-id') ?? '', /^req_/);
    }
  });

  test('?beta=true, Authorization: Bearer and unknown fields are accepted', async () => {
    const r = await fetch(`${emu.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-ant-oauth', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'context-1m-2025-08-07', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 50, messages: user('hi'), some_future_field: { x: 1 }, context_management: { edits: [] } }),
    });
    assert.equal(r.status, 200);
  });

  test('the ledger bills each response at priceUsage of the usage it returned', async () => {
    await fetch(`${emu.url}/_emulator/ledger`, { method: 'DELETE' });
    const a = await client.messages.create({ model: MODEL, max_tokens: 100, messages: user('bill me') });
    const b = await client.messages.create({ model: 'claude-opus-4-7', max_tokens: 100, messages: user('bill me too') });
    const entries = emu.ledger.entries();
    assert.equal(entries.length, 2);
    assert.equal(entries[0]!.messageId, a.id);
    assert.equal(entries[0]!.costPico, priceUsage(getDefaultCatalog(), MODEL, a.usage as Usage).total);
    assert.equal(entries[1]!.costPico, priceUsage(getDefaultCatalog(), 'claude-opus-4-7', b.usage as Usage).total);
    const json = (await (await fetch(`${emu.url}/_emulator/ledger`)).json()) as { entries: { costPico: string; model: string }[] };
    assert.equal(json.entries[1]!.costPico, entries[1]!.costPico.toString());
    assert.equal(json.entries[1]!.model, 'claude-opus-4-7');
  });
});
