/** RecentTexts: one computation per distinct text while it is recent, equal texts from different strings found. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentTexts } from './recent-texts.js';

/** A string with the same characters as `s` but not the same object (as each parsed request body gives). */
const fresh = (s: string): string => (JSON.parse(JSON.stringify({ s })) as { s: string }).s;

test('computes a text once while it is among the last `size` texts, then again after it was forgotten', () => {
  const seen: string[] = [];
  const memo = new RecentTexts((t: string) => {
    seen.push(t);
    return t.length;
  }, 2);
  const long = 'You are a helpful assistant. '.repeat(200);
  assert.equal(memo.get(long), long.length);
  assert.equal(memo.get(fresh(long)), long.length);
  assert.equal(memo.get('b'), 1);
  assert.deepEqual(seen, [long, 'b']);
  memo.get('c'); // the third distinct text pushes out the oldest (the long one)
  assert.equal(memo.get('b'), 1);
  assert.equal(memo.get(fresh(long)), long.length);
  assert.deepEqual(seen, [long, 'b', 'c', long]);
});

test('texts of the same length that differ are told apart, wherever they differ', () => {
  const memo = new RecentTexts((t: string) => t.toUpperCase());
  assert.equal(memo.get('abc'), 'ABC');
  assert.equal(memo.get('abd'), 'ABD');
  assert.equal(memo.get('abc'), 'ABC');
  // Long texts of one length with the same first and last characters, differing only in the middle (a nonce), and
  // ones differing only at the end (a timestamp).
  const body = 'You answer questions about invoices. '.repeat(40);
  const texts = [
    ...Array.from({ length: 6 }, (_, i) => `${body.slice(0, 700)}nonce-${i}${body.slice(700)}`),
    ...Array.from({ length: 6 }, (_, i) => `${body}at 09:15:0${i}Z`),
  ];
  let computed = 0;
  const lengths = new RecentTexts((t: string) => {
    computed++;
    return `${t.length}:${t.slice(700, 707)}:${t.slice(-3)}`;
  });
  for (let round = 0; round < 2; round++) {
    for (const t of texts) assert.equal(lengths.get(fresh(t)), `${t.length}:${t.slice(700, 707)}:${t.slice(-3)}`);
  }
  // Four texts are kept per shared length-and-ends key, so the six with a nonce are computed again in the second round.
  assert.equal(computed, 12 + 6);
});

test('checks its size once', () => {
  assert.throws(() => new RecentTexts((t: string) => t, 0), /size/);
});
