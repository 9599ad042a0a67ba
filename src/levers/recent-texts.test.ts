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

test('texts of the same length that differ are told apart', () => {
  const memo = new RecentTexts((t: string) => t.toUpperCase());
  assert.equal(memo.get('abc'), 'ABC');
  assert.equal(memo.get('abd'), 'ABD');
  assert.equal(memo.get('abc'), 'ABC');
});

test('checks its size once', () => {
  assert.throws(() => new RecentTexts((t: string) => t, 0), /size/);
});
