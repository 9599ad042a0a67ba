/**
 * The 5m/1h rule on real catalog prices: the worked examples of the file header, a model whose own read ratio flips
 * the answer, the break-even odds of writePays, and the size-aware rule for a conversation's newest turn.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { chooseTtl, writePays } from './cache-ttl.js';

const catalog = getDefaultCatalog();
const sonnet = catalog.resolve('claude-sonnet-4-6').standard;
const fable51 = catalog.resolve('claude-fable-5-1').standard;
const MIN = 60_000;
const times = (n: number, gap: number): number[] => Array.from({ length: n }, () => gap);

test('no gaps seen yet: 5m, the cheaper first write', () => {
  assert.equal(chooseTtl(sonnet, []).ttl, '5m');
});

test('gaps under 5 minutes: 5m (a hit refreshes it, so it never has to be written again)', () => {
  const c = chooseTtl(sonnet, times(8, 2 * MIN));
  assert.equal(c.ttl, '5m');
  // Expected cost per use is the read price, $0.30/MTok on Sonnet 4.6, for either TTL.
  assert.equal(c.perMTok.m5, sonnet.cache_read * 1_000_000n);
  assert.equal(c.perMTok.h1, sonnet.cache_read * 1_000_000n);
});

test('gaps of 5-60 minutes: 1h; a 5m entry would be rewritten each time and cost more than no cache', () => {
  const c = chooseTtl(sonnet, times(6, 20 * MIN));
  assert.equal(c.ttl, '1h');
  assert.equal(c.perMTok.m5, sonnet.cache_write_5m * 1_000_000n);
  assert.ok(c.perMTok.m5 > c.perMTok.none);
});

test('half the gaps short, half 20 minutes: 1h (0.1 against 0.675 of the input price)', () => {
  assert.equal(chooseTtl(sonnet, [...times(5, 2 * MIN), ...times(5, 20 * MIN)]).ttl, '1h');
});

test('90% short and 10% over an hour: 5m (0.215 against 0.29)', () => {
  assert.equal(chooseTtl(sonnet, [...times(9, 2 * MIN), 2 * 60 * MIN]).ttl, '5m');
});

test('every gap over an hour: no TTL pays', () => {
  const c = chooseTtl(sonnet, times(4, 3 * 60 * MIN));
  assert.equal(c.ttl, null);
});

test('a gap just under 5 minutes is not trusted as a hit (lifetimes run from the start of a request)', () => {
  assert.equal(chooseTtl(sonnet, times(4, 4 * MIN + 50_000)).ttl, '1h');
});

test("the model's own read ratio changes the answer: one late reuse in 100 is 1h on Fable 5.1, 5m on Sonnet 4.6", () => {
  const gaps = [...times(99, MIN), 20 * MIN];
  assert.equal(chooseTtl(sonnet, gaps).ttl, '5m');
  assert.equal(chooseTtl(fable51, gaps).ttl, '1h');
});

test('writePays: a 5m write pays above 0.217 continuation odds, a 1h write above 0.526', () => {
  assert.equal(writePays(sonnet, '5m', 22, 100), true);
  assert.equal(writePays(sonnet, '5m', 21, 100), false);
  assert.equal(writePays(sonnet, '1h', 53, 100), true);
  assert.equal(writePays(sonnet, '1h', 52, 100), false);
});

test('newest turn: 1h only once enough of the conversation is at risk of a rewrite', () => {
  const gaps = [...times(9, 30_000), 20 * MIN];
  assert.equal(chooseTtl(sonnet, gaps, { write: 300, atRisk: 2000 }).ttl, '5m');
  assert.equal(chooseTtl(sonnet, gaps, { write: 300, atRisk: 6000 }).ttl, '1h');
  // the first turn has nothing at risk: 5m
  assert.equal(chooseTtl(sonnet, gaps, { write: 3000, atRisk: 0 }).ttl, '5m');
});
