/** `clawback prices` as a user runs it, in-process through main(argv, io). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/cli-io.js';
import { pricesCommand } from './prices.js';
import { getDefaultCatalog } from '../pricing/catalog.js';

const run = runCli;

test('the table lists every model with prices, batch prices, tiers, fast mode and inference_geo, within 120 columns', async () => {
  const r = await run(['prices'], { NO_COLOR: '1' });
  assert.equal(r.code, 0, r.err);
  for (const m of getDefaultCatalog().models()) assert.match(r.out, new RegExp(`^${m.id} `, 'm'), m.id);
  // Sonnet 4.6 row: $3 / $3.75 / $6 / $0.30 / $15, batch 1.5/7.5
  assert.match(r.out, /^claude-sonnet-4-6 +3 +3\.75 +6 +0\.30 +15 +1\.5\/7\.5 +1M +64K +1,024 +2025 active$/m);
  assert.match(r.out, /tier: prompt > 100,000 tokens: in 0\.50, 5m 0\.625, 1h 1, read 0\.05, out 2\.50/);
  assert.match(r.out, /tier: prompt > 200,000 tokens: in 6, 5m 7\.50, 1h 12, read 0\.60, out 22\.50/);
  assert.match(r.out, /fast mode: in 10, 5m 12\.50, 1h 20, read 1, out 50/);
  assert.match(r.out, /inference_geo: "us" x1\.1/);
  assert.match(r.out, /web search: \$10 per 1,000 searches/);
  for (const line of r.out.split('\n')) assert.ok(line.length <= 120, `${line.length} columns: ${line}`);
  assert.ok(!r.out.includes('\u001b'), 'no ANSI escape codes');
});

test('--json prints the whole catalog, every field', async () => {
  const r = await run(['prices', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { currency: string; models: Record<string, unknown>[] };
  assert.equal(j.currency, 'USD');
  assert.equal(j.models.length, getDefaultCatalog().models().length);
  const haiku55 = j.models.find((m) => m['id'] === 'claude-haiku-5-5')!;
  for (const k of ['prices', 'batch_multiplier', 'tiers', 'fast', 'inference_geo', 'min_cacheable_tokens', 'context_window', 'max_output', 'tokenizer', 'status', 'supports', 'source', 'source_date']) {
    assert.ok(k in haiku55, k);
  }
});

test('--model shows one model in full, by any id; an unknown one exits 2', async () => {
  const r = await run(['prices', '--model', 'anthropic.claude-opus-4-6-v1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^claude-opus-4-6: Claude Opus 4\.6/);
  assert.match(r.out, /batch: in 2\.5, 5m 3\.125, 1h 5, read 0\.25, out 12\.5/);
  assert.match(r.out, /source: .*S-SEP26/);
  const j = await run(['prices', '--model', 'claude-haiku-4-5', '--json']);
  assert.equal((JSON.parse(j.out) as { id: string }).id, 'claude-haiku-4-5-20251001');
  const bad = await run(['prices', '--model', 'claude-opus-9']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown model "claude-opus-9"/);
  assert.equal(bad.err.trimEnd().split('\n').length, 1);
});

test('--config shows overrides; --help lists every flag; an unknown flag exits 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-prices-'));
  try {
    const cfg = join(dir, 'c.json');
    writeFileSync(cfg, JSON.stringify({ pricing: { models: [{ id: 'claude-sonnet-4-6', prices: { input: '2.40' } }] } }));
    const r = await run(['prices', '--config', cfg]);
    assert.match(r.out, /^claude-sonnet-4-6 +2\.40 /m);
    assert.match((await run(['prices', '--model', 'claude-sonnet-4-6', '--config', cfg])).out, /patched by the config file \(prices\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const h = await run(['prices', '--help']);
  for (const f of [...pricesCommand.flags.map((s) => s.name), 'json', 'help']) assert.match(h.out, new RegExp(`--${f}\\b`), f);
  const u = await run(['prices', '--wide']);
  assert.equal(u.code, 2);
  assert.match(u.err, /unknown flag --wide/);
});
