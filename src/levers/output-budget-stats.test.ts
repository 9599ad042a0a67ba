// A route's output-length window: its quantiles are those of the last `window` answers, however they came and went.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OutputLengths } from './output-budget-stats.js';

/** The definition: the nearest-rank q-quantile of the last `window` valid answers, sorted from scratch. */
function reference(answers: readonly number[], window: number, q: number): number | null {
  const kept = answers.filter((t) => Number.isFinite(t) && t >= 0).slice(-window).sort((a, b) => a - b);
  if (kept.length === 0) return null;
  return kept[Math.min(kept.length - 1, Math.max(0, Math.ceil(q * kept.length) - 1))]!;
}

test('quantiles equal a from-scratch sort of the last window answers, after any sequence of answers', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      // small values repeat often, so equal lengths entering and leaving the window are exercised
      fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(-1, Number.NaN, Infinity)), { maxLength: 60 }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      (window, answers, q) => {
        const l = new OutputLengths(window);
        const seen: number[] = [];
        for (const a of answers) {
          l.add(a);
          seen.push(a);
          assert.equal(l.quantile(q), reference(seen, window, q));
          assert.equal(l.quantile(0.5), reference(seen, window, 0.5));
        }
        assert.equal(l.size, Math.min(window, seen.filter((t) => Number.isFinite(t) && t >= 0).length));
      },
    ),
    { numRuns: 500 },
  );
});

test('a window of three: the oldest answer leaves as a new one comes', () => {
  const l = new OutputLengths(3);
  assert.equal(l.quantile(0.5), null);
  for (const t of [100, 10, 50]) l.add(t);
  assert.deepEqual([l.quantile(0.01), l.quantile(0.5), l.quantile(1)], [10, 50, 100]);
  l.add(20); // 100 leaves
  assert.deepEqual([l.quantile(0.01), l.quantile(0.5), l.quantile(1)], [10, 20, 50]);
  assert.equal(l.observed, 4);
});
