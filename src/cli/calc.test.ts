/**
 * `clawback calc` as a user runs it, in-process through main(argv, io): the JSON contract of DESIGN.md, the table,
 * --geo / --fast / --batch / tiers, --config overrides, and one-line errors with exit code 2 for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/cli-io.js';
import { calcCommand } from './calc.js';

const run = runCli;

interface CalcJson {
  model: string;
  currency: string;
  total_usd: number;
  total_exact_usd: string;
  breakdown: Record<string, number>;
  inference_geo: string | null;
  fast: boolean;
  batch: boolean;
  tier_above_prompt_tokens: number | null;
}

test('--json prints the DESIGN.md contract: model, currency, total_usd, breakdown{...}_usd', async () => {
  const r = await run(['calc', '--model', 'claude-sonnet-4-6', '--input', '1000', '--output', '500', '--cache-write-5m', '2000', '--cache-write-1h', '3000', '--cache-read', '4000', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as CalcJson;
  // 1,000 x 3 = 0.003; 2,000 x 3.75 = 0.0075; 3,000 x 6 = 0.018; 4,000 x 0.30 = 0.0012; 500 x 15 = 0.0075 (all / 1e6); total 0.0372
  assert.equal(j.model, 'claude-sonnet-4-6');
  assert.equal(j.currency, 'USD');
  assert.equal(j.total_usd, 0.0372);
  assert.equal(j.total_exact_usd, '0.0372');
  assert.deepEqual(
    { input_usd: j.breakdown['input_usd'], cache_write_5m_usd: j.breakdown['cache_write_5m_usd'], cache_write_1h_usd: j.breakdown['cache_write_1h_usd'], cache_read_usd: j.breakdown['cache_read_usd'], output_usd: j.breakdown['output_usd'] },
    { input_usd: 0.003, cache_write_5m_usd: 0.0075, cache_write_1h_usd: 0.018, cache_read_usd: 0.0012, output_usd: 0.0075 },
  );
  assert.equal(r.out.split('\n').filter(Boolean).length, 1);
});

test('the table shows every line of the bill and the total, without colour codes', async () => {
  const r = await run(['calc', '--model', 'claude-haiku-4-5', '--input', '1000', '--output', '500', '--cache-read', '10000', '--web-searches', '2'], { NO_COLOR: '1' });
  assert.equal(r.code, 0, r.err);
  for (const label of ['input (uncached)', 'cache write 5m', 'cache write 1h', 'cache read', 'output', 'web searches', 'total']) assert.match(r.out, new RegExp(`^  ${label.replace(/[()]/g, '\\$&')} `, 'm'));
  // Haiku 4.5: 1,000 x 1 = 0.001; 10,000 x 0.10 = 0.001; 500 x 5 = 0.0025; 2 searches = 0.02; total 0.0245
  assert.match(r.out, /^ {2}total +\$0\.024500$/m);
  assert.match(r.out, /^claude-haiku-4-5-20251001$/m);
  assert.ok(!r.out.includes('\u001b'), 'no ANSI escape codes');
});

test('--batch, --geo, --fast and the long-context tier', async () => {
  const j = async (argv: string[]): Promise<CalcJson> => {
    const r = await run(['calc', ...argv, '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as CalcJson;
  };
  // Batch: (1,000 x 3 + 500 x 15) / 1e6 / 2 = 0.00525
  assert.equal((await j(['--model', 'claude-sonnet-4-6', '--input', '1000', '--output', '500', '--batch'])).total_exact_usd, '0.00525');
  // --geo us on Opus 4.7: (10,000 x 5 + 1,000 x 25) / 1e6 x 1.1 = 0.0825
  const geo = await j(['--model', 'claude-opus-4-7', '--input', '10000', '--output', '1000', '--geo', 'us']);
  assert.equal(geo.total_exact_usd, '0.0825');
  assert.equal(geo.inference_geo, 'us');
  // --fast on Opus 5 ($10/$50): (10,000 x 10 + 1,000 x 50) / 1e6 = 0.15
  const fast = await j(['--model', 'claude-opus-5', '--input', '10000', '--output', '1000', '--fast']);
  assert.equal(fast.total_exact_usd, '0.15');
  assert.equal(fast.fast, true);
  // Sonnet 4.5, prompt 200,001: (200,001 x 6 + 1,000 x 22.50) / 1e6 = 1.200006 + 0.0225 = 1.222506
  const tier = await j(['--model', 'claude-sonnet-4-5', '--input', '200001', '--output', '1000']);
  assert.equal(tier.total_exact_usd, '1.222506');
  assert.equal(tier.tier_above_prompt_tokens, 200_000);
  const table = await run(['calc', '--model', 'claude-sonnet-4-5', '--input', '200001', '--output', '1000']);
  assert.match(table.out, /long-context tier: prompt > 200,000 tokens/);
});

test('bad input: one line on stderr, exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['calc', '--model', 'claude-sonnet-4-6', '--input', '1', '--output', '1', '--colour'], /unknown flag --colour/],
    [['calc', '--model', 'claude-sonnet-4-6', '--input', '12k', '--output', '1'], /--input must be a whole number/],
    [['calc', '--model', 'claude-sonnet-4-6', '--input', '-5', '--output', '1'], /--input/],
    [['calc', '--model', 'claude-sonnet-4-6', '--input', '1'], /--output is required/],
    [['calc', '--input', '1', '--output', '1'], /--model is required/],
    [['calc', '--model', 'claude-sonnet-4-6', '--input'], /--input needs a value/],
    [['calc', '--model', 'gpt-4o', '--input', '1', '--output', '1'], /unknown model "gpt-4o".*"pricing"/],
    [['calc', '--model', 'claude-haiku-4-5', '--input', '1', '--output', '1', '--geo', 'us'], /does not accept inference_geo/],
    [['calc', '--model', 'claude-sonnet-4-6', '--input', '1', '--output', '1', '--fast'], /no fast-mode price/],
    [['calc', '--model', 'claude-opus-5', '--input', '1', '--output', '1', '--fast', '--batch'], /cannot be combined/],
  ];
  for (const [argv, want] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, want);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
    assert.equal(r.out, '');
  }
});

test('--help lists every flag', async () => {
  const r = await run(['calc', '--help']);
  assert.equal(r.code, 0);
  for (const f of [...calcCommand.flags.map((s) => s.name), 'json', 'help']) assert.match(r.out, new RegExp(`--${f}\\b`), f);
});

test('--config (and CLAWBACK_CONFIG) applies price overrides; a bad override names the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-calc-'));
  try {
    const good = join(dir, 'good.json');
    // A negotiated 20% discount on Sonnet 4.6 input and output.
    writeFileSync(good, JSON.stringify({ pricing: { models: [{ id: 'claude-sonnet-4-6', prices: { input: '2.40', output: '12' } }] } }));
    // (1,000,000 x 2.40 + 100,000 x 12) / 1e6 = 2.4 + 1.2 = 3.6
    const argv = ['calc', '--model', 'claude-sonnet-4-6', '--input', '1000000', '--output', '100000', '--json'];
    const viaFlag = await run([...argv, '--config', good]);
    assert.equal((JSON.parse(viaFlag.out) as CalcJson).total_exact_usd, '3.6');
    const viaEnv = await run(argv, { CLAWBACK_CONFIG: good });
    assert.equal((JSON.parse(viaEnv.out) as CalcJson).total_exact_usd, '3.6');
    // Without it: 3 + 1.5 = 4.5
    assert.equal((JSON.parse((await run(argv)).out) as CalcJson).total_exact_usd, '4.5');

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ pricing: { models: [{ id: 'claude-sonnet-4-6', prices: { output: 'twelve' } }] } }));
    const r = await run([...argv, '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.err, /pricing\.models\[0\]\.prices\.output/);
    assert.equal(r.err.trimEnd().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
