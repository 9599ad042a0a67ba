// Routing's prompt shape (tokens and stable prefix per tokenizer) takes a resent block's tokens from a recent
// prompt's trail: it must equal counting every block afresh, turn after turn, whatever else analysed the same body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { analyzePrefix } from '../wire/prefix.js';
import { promptShape } from './routing-cost.js';

type Obj = Record<string, unknown>;
const catalog = getDefaultCatalog();
const models = [catalog.resolve('claude-sonnet-4-6'), catalog.resolve('claude-opus-4-8')];

/** The definition: every block counted from scratch (no trails), the prefix ending before the last user turn. */
function reference(body: Obj, family: 'claude-2025' | 'claude-2026'): { promptTokens: number; prefixTokens: number } {
  const a = analyzePrefix(structuredClone(body), { family, hashes: false });
  const messages = body['messages'] as Obj[];
  const lastUser = messages.map((m) => m['role']).lastIndexOf('user');
  let prefix = 0;
  for (const b of a.blocks) {
    if (b.section === 'messages' && b.at >= lastUser) break;
    prefix = b.cumTokens;
  }
  return { promptTokens: a.totalTokens, prefixTokens: prefix };
}

const block = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 40 }) }),
  fc.record({ type: fc.constant('tool_result'), tool_use_id: fc.string({ maxLength: 4 }), content: fc.string({ maxLength: 80 }) }),
);
const message = fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.oneof(fc.string({ maxLength: 30 }), fc.array(block, { minLength: 1, maxLength: 3 })) });

test('the prompt shape with reused trails equals counting afresh, turn after turn, in both tokenizers', () => {
  assert.notEqual(models[0]!.entry.tokenizer, models[1]!.entry.tokenizer, 'the two models cover both tokenizers');
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom('append', 'append', 'edit-earlier', 'marker'), message), { maxLength: 6 }), fc.boolean(), (start, turns, lever) => {
      let messages: Obj[] = start;
      const tools = [{ name: 'read', description: 'Reads a file', input_schema: { type: 'object' } }];
      for (const [what, m] of [['append', start[0]!] as const, ...turns]) {
        if (what === 'append') messages = [...messages, m];
        if (what === 'edit-earlier') messages = [m, ...messages.slice(1)];
        if (what === 'marker') messages = messages.map((x, i) => (i === messages.length - 1 && typeof x['content'] === 'string' ? { ...x, content: [{ type: 'text', text: x['content'], cache_control: { type: 'ephemeral' } }] } : x));
        const body: Obj = { model: 'claude-sonnet-4-6', max_tokens: 100, system: 'You are a coding agent.', tools, messages };
        const sent = structuredClone(body); // a new request is a fresh parse
        // The caching lever analyses the same objects first, under its own model's chain.
        if (lever) analyzePrefix(sent, { family: 'claude-2025' });
        for (const model of models) {
          const expected = reference(body, model.entry.tokenizer as 'claude-2025' | 'claude-2026');
          const o = model.entry.tool_use_system_prompt_tokens?.auto ?? 0;
          assert.deepEqual(promptShape(sent, model), { promptTokens: expected.promptTokens + o, prefixTokens: expected.prefixTokens + o });
        }
      }
    }),
    { numRuns: 300 },
  );
});
