import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { parseScenarios, ScenarioError } from './scenarios.js';
import { startEmulator, type RunningEmulator } from './server.js';

const MODEL = 'claude-sonnet-4-6';
const dir = mkdtempSync(join(tmpdir(), 'clawback-scenarios-'));
let emu: RunningEmulator;
let client: Anthropic;

before(async () => {
  const file = join(dir, 'scenarios.json');
  writeFileSync(
    file,
    JSON.stringify({
      scenarios: [
        { name: 'summary', match: { user: 'summarize', model: 'sonnet' }, text: 'Summary: all good.', tail: '</summary>' },
        { name: 'refuse', match: { system: '/^strict/i' }, text: 'I cannot help with that.', stop_reason: 'refusal' },
        { name: 'sized', match: { user: 'exactly' }, length: 137 },
        { name: 'search', match: { user: 'news' }, text: 'Here is the news.', web_searches: 2 },
      ],
    }),
  );
  emu = await startEmulator({ env: {}, scenarios: file });
  client = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (content: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}): Promise<Anthropic.Message> =>
  client.messages.create({ model: MODEL, max_tokens: 300, messages: [{ role: 'user', content }], ...extra });
const textOf = (m: Anthropic.Message): string => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

describe('scenario files', () => {
  test('a tail makes the answer ramble until the cap, unless a stop sequence ends it', async () => {
    const capped = await ask('please summarize this');
    assert.equal(capped.stop_reason, 'max_tokens');
    assert.equal(capped.usage.output_tokens, 300);
    assert.ok(textOf(capped).startsWith('Summary: all good.</summary>'));
    const stopped = await ask('please summarize this', { stop_sequences: ['</summary>'] });
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, '</summary>');
    assert.equal(textOf(stopped), 'Summary: all good.');
    assert.ok(stopped.usage.output_tokens < 20);
  });

  test('matching is per model, system (regex) and last user text', async () => {
    const other = await client.messages.create({ model: 'claude-opus-4-7', max_tokens: 300, messages: [{ role: 'user', content: 'please summarize this' }] });
    assert.ok(!textOf(other).startsWith('Summary'), 'the model pattern does not match opus');
    const refused = await ask('anything', { system: 'STRICT mode' });
    assert.equal(refused.stop_reason, 'refusal');
    assert.equal(textOf(refused), 'I cannot help with that.');
  });

  test('length gives an answer of exactly that many output tokens; web searches are billed in usage', async () => {
    assert.equal((await ask('exactly sized please')).usage.output_tokens, 137);
    const news = await ask('any news today?');
    assert.equal(news.usage.server_tool_use?.web_search_requests, 2);
    const entry = emu.ledger.entries().at(-1)!;
    assert.equal(entry.usage.server_tool_use?.web_search_requests, 2);
  });

  test('bad scenario files are rejected with the path of the problem', () => {
    assert.throws(() => parseScenarios([{ match: { user: '/(unclosed/' } }]), ScenarioError);
    assert.throws(() => parseScenarios([{ text: 'x', colour: 'blue' }]), /colour|Unrecognized/);
    assert.throws(() => parseScenarios({ scenarios: [{ length: -1 }] }), /length/);
  });
});
