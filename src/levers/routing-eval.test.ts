import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { formatUsd } from '../pricing/money.js';
import { labelledSet } from './fixtures/labelled.js';
import { parseRoutingConfig } from './routing-config.js';
import { scoreRouting, type RoutingScore } from './routing-eval.js';

const catalog = getDefaultCatalog();
const config = parseRoutingConfig({});

function report(name: string, s: RoutingScore): string {
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
  const vs = (x: bigint): string => `${pct(Number(s.routedPico), Number(x))} of it`;
  return (
    `${name}: ${s.n} requests, accuracy ${pct(s.correct, s.n)}, sent below its label ${pct(s.below, s.n)}, above ${pct(s.above, s.n)}; ` +
    `cost routed ${formatUsd(s.routedPico, 4)} vs all-Opus ${formatUsd(s.allOpusPico, 4)} (${vs(s.allOpusPico)}) ` +
    `vs all-Sonnet ${formatUsd(s.allSonnetPico, 4)} (${vs(s.allSonnetPico)}) vs each on its label's model ${formatUsd(s.oraclePico, 4)} (${vs(s.oraclePico)}); ` +
    `confusion ${JSON.stringify(s.confusion)}`
  );
}

describe('routing on the labelled set', () => {
  const all = labelledSet();

  it('the set is large, varied and split with at least a third held out', () => {
    assert.ok(all.length >= 300, `${all.length} requests`);
    const kinds = new Set(all.map((x) => x.kind));
    assert.ok(kinds.size >= 20, `${kinds.size} kinds`);
    for (const t of ['haiku', 'sonnet', 'opus'] as const) assert.ok(all.filter((x) => x.label === t).length >= 40, t);
    const held = all.filter((x) => x.split === 'holdout').length;
    assert.ok(held * 3 >= all.length, `${held} held out of ${all.length}`);
    assert.equal(new Set(all.map((x) => x.id)).size, all.length, 'ids are unique');
  });

  // Escalating the hard third to Opus costs more than sending everything to Sonnet (their answers are long): the
  // figures are printed, and the router is held to cost no more than a perfect router would, with some slack.
  it('held-out part: accurate, rarely below its label, cheaper than all-Opus', (t) => {
    const held = scoreRouting(all.filter((x) => x.split === 'holdout'), catalog, config);
    const tune = scoreRouting(all.filter((x) => x.split === 'tune'), catalog, config);
    t.diagnostic(report('held-out', held));
    t.diagnostic(report('tuning', tune));
    assert.ok(held.correct / held.n >= 0.8, `held-out accuracy ${held.correct}/${held.n}`);
    assert.ok(held.below / held.n <= 0.1, `held-out below-label share ${held.below}/${held.n}`);
    assert.ok(held.routedPico < held.allOpusPico);
    assert.ok(held.routedPico <= (held.oraclePico * 11n) / 10n, 'within 10% of a perfect router');
  });
});
