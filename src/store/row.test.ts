/** The prefix column's hand-written JSON: the same text JSON.stringify gives, for ours and for anything else. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PrefixFingerprint } from './record.js';
import { prefixJson } from './row.js';

test('writes exactly what JSON.stringify writes for fingerprints of our own making', () => {
  const ours: PrefixFingerprint[] = [
    { i: 0, h: 'f30cc54a9a3da0ae', t: 163, bp: '5m' },
    { i: 1, h: 'd7b54abde4a82e38', t: 191 },
    { i: 2, h: '488ddbb9a2285bde', t: 1_000_000_000_000, bp: '1h' },
    { i: 3, h: '', t: 0 },
  ];
  for (const prefix of [ours, ours.slice(1, 2), []]) assert.equal(prefixJson(prefix), JSON.stringify(prefix));
});

test('anything else goes through JSON.stringify, so the column stays valid JSON', () => {
  const odd = [
    [{ i: 0, h: 'say "hi"\\', t: 1 }],
    [{ i: 0, h: 'abc', t: Number.NaN }],
    [{ i: 0, h: 'ABC', t: 1 }],
    [{ i: 0, h: 'abc', t: 1, bp: '24h' }],
  ] as unknown as PrefixFingerprint[][];
  for (const prefix of odd) {
    assert.equal(prefixJson(prefix), JSON.stringify(prefix));
    JSON.parse(prefixJson(prefix));
  }
});
