import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessComplexity, instructionPart } from './complexity.js';
import { requestFacts } from './routing-request.js';

// A contract pasted beside a plain question: its sentences are material, not asks.
const contract = Array.from({ length: 60 }, (_, i) => `Clause ${i + 1}. The supplier shall build, plan and deliver the services described in schedule ${i + 1}, and shall identify any risk within ten days.`).join(' ');

test('sentences of a pasted document are not counted as separate asks', () => {
  const body = { model: 'claude-sonnet-4-6', max_tokens: 400, messages: [{ role: 'user', content: [{ type: 'text', text: contract }, { type: 'text', text: 'Question: what is the notice period?' }] }] };
  const r = assessComplexity(requestFacts(body));
  assert.equal(r.reasons.find((x) => x.signal === 'several asks'), undefined, JSON.stringify(r.reasons));
});

test('the same document in one block wrapped in a tag, and fenced material, are dropped too', () => {
  assert.equal(instructionPart(`<document>${contract}</document>\nWhat is the notice period?`).trim(), 'What is the notice period?');
  assert.equal(instructionPart('Fix this:\n```\nconst a = 1;\n```\nThanks.').replace(/\s+/g, ' ').trim(), 'Fix this: Thanks.');
});

test('a request that really lists several asks still counts them', () => {
  const ask = 'Explain the design. Compare it with the old one. List the risks. Propose a migration plan. Estimate the cost.';
  const r = assessComplexity(requestFacts({ model: 'claude-sonnet-4-6', max_tokens: 4000, messages: [{ role: 'user', content: ask }] }));
  assert.ok(r.reasons.some((x) => x.signal === 'several asks'), JSON.stringify(r.reasons));
});

test('signals are read across the system prompt and the user turn, the system prompt\'s first, request after request', () => {
  const system = 'You are a maths tutor. Prove every claim rigorously and explain why each step holds.';
  const ask = (q: string) => assessComplexity(requestFacts({ model: 'claude-sonnet-4-6', max_tokens: 400, system, messages: [{ role: 'user', content: q }] }));
  const signal = (r: ReturnType<typeof ask>, s: string) => r.reasons.find((x) => x.signal === s)?.detail;
  const first = ask('What is the derivative of x^2, and is 7 prime?');
  assert.equal(signal(first, 'proof'), 'asks to "prove"', 'found in the system prompt');
  assert.equal(signal(first, 'reasoning'), 'asks to "explain why"', 'the system prompt\'s match comes first');
  assert.equal(signal(first, 'maths'), '2 maths terms or symbols', '"derivative" and "prime", from the user turn');
  const second = ask('Keep it short: is the function convergent?');
  assert.equal(signal(second, 'proof'), 'asks to "prove"', 'the same system prompt, remembered, still says it');
  assert.equal(signal(second, 'maths'), '1 maths terms or symbols');
});
