// Template matching: where each template looks (system, user, any), the first 60 characters of what it matched, and
// the same answers whether a system prompt is seen for the first time or the hundredth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplates, matchTemplates, type TemplateConfig } from './templates.js';

const configured: TemplateConfig[] = [
  { id: 'sys-only', kind: 'classification', pattern: 'you label tickets', on: 'system', short_form: true },
  { id: 'user-only', kind: 'yes_no', pattern: 'yes or no\\?', on: 'user', short_form: true },
  { id: 'anywhere', kind: 'other', pattern: 'in one word', on: 'any', short_form: false },
];
const compiled = compileTemplates(configured, false);
const ids = (sys: string, user: string): string[] => matchTemplates(compiled, sys, user).map((m) => `${m.id}@${m.on}`);

test('each template looks only where it is told to, system first for "any"', () => {
  assert.deepEqual(ids('You label tickets. Answer in one word.', 'Is this spam, yes or no?'), ['sys-only@system', 'user-only@user', 'anywhere@system']);
  assert.deepEqual(ids('Yes or no? You answer questions.', 'you label tickets in one word'), ['anywhere@user'], 'system-only and user-only stay on their side');
});

test('a system prompt seen before gives the same matches, with each new user turn searched afresh', () => {
  const sys = 'You label tickets for the support team.';
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(ids(sys, 'What is the status?'), ['sys-only@system']);
    assert.deepEqual(ids(sys, 'Urgent, yes or no? Reply in one word.'), ['sys-only@system', 'user-only@user', 'anywhere@user']);
  }
  const [m] = matchTemplates(compileTemplates([{ id: 'long', kind: 'other', pattern: 'a+', on: 'any', short_form: true }], false), 'a'.repeat(100), '');
  assert.equal(m?.matched, 'a'.repeat(60), 'what matched is cut at 60 characters');
});

test('only the first scanChars of the system prompt are searched', () => {
  const sys = `${'x'.repeat(5000)} you label tickets`;
  assert.deepEqual(ids(sys, ''), []);
  assert.deepEqual(matchTemplates(compiled, sys, '', 6000).map((m) => m.id), ['sys-only']);
});
