import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { usdToPico } from '../pricing/money.js';
import { aggregate, cacheHitRate } from './aggregate.js';
import { claudeCodeRoots, readClaudeCode } from './claude-code.js';
import { fixturePath, testCatalog } from './test-fixtures.js';

/*
 * The fixture (fixtures/claude-code/projects/-home-dev-app), prices in USD per million tokens:
 *   sonnet-4-6 in 3, 5m 3.75, 1h 6, read 0.30, out 15; opus-4-7 in 5, out 25; haiku-4-5 in 1, out 5.
 *
 * msg_1 sonnet (written as 2 lines; the first has output 5, the final 200):
 *   10 x 3 + 1000 x 3.75 + 200 x 15                      = 30 + 3750 + 3000       = 6780 uUSD
 * msg_2 sonnet, 1h write, truncated (max_tokens):
 *   20 x 3 + 2000 x 6 (1h at 2x) + 1000 x 0.30 + 100 x 15 = 60 + 12000 + 300 + 1500 = 13860 uUSD
 * msg_3 "claude-haiku-4-5" (alias) with a compaction iteration:
 *   top level 100 x 1 + 50 x 5 = 350; compaction 3000 x 1 + 400 x 5 = 5000       = 5350 uUSD
 * msg_4 haiku, subagent file:  500 x 1 + 20 x 5                                   = 600 uUSD
 * msg_5 opus (sess-b, and again in sess-c: a resumed session's copy):
 *   1000 x 5 + 1000 x 25                                                         = 30000 uUSD
 * total = 6780 + 13860 + 5350 + 600 + 30000 = 56590 uUSD = $0.05659
 * msg_u uses "claude-unknown-9": listed with its tokens, not priced.
 * Malformed: the truncated line and "not json at all" = 2. Duplicates: msg_1's first line and msg_5's copy = 2.
 */
test('Claude Code logs: hand-worked totals with duplicates, 1h writes, subagents, compaction, alias, malformed lines', async () => {
  const { table, stats } = await readClaudeCode([fixturePath('claude-code')], { jobs: 1 });
  assert.equal(stats.files, 4);
  assert.equal(stats.malformed, 2);
  assert.match(stats.malformedSamples[0] ?? '', /sess-a\.jsonl:4: not a JSON object/);
  assert.equal(stats.duplicates, 2);
  const agg = aggregate(table, testCatalog(), { by: 'model' });
  const t = agg.totals;
  assert.equal(t.requests, 5);
  assert.equal(t.cost, usdToPico('0.05659'));
  // tokens include the compaction step: input 10 + 20 + 100 + 3000 + 500 + 1000 = 4630; output 200 + 100 + 50 + 400 + 20 + 1000 = 1770
  assert.deepEqual(t.tokens, { input: 4630, cache_write_5m: 1000, cache_write_1h: 2000, cache_read: 1000, output: 1770 });
  assert.equal(t.breakdown.cache_write_1h, usdToPico('0.012'));
  assert.equal(t.truncations, 1);
  // hit rate = read / (read + writes + uncached input) = 1000 / (1000 + 3000 + 4630)
  assert.equal(cacheHitRate(t.tokens), 1000 / 8630);
  // msg_1's 5m write was read 2 minutes later by msg_2 (which read 1000 > msg_1's 0); msg_2's 1h write was never
  // read by a later sonnet request: 2000 wasted tokens, premium 2000 x (6 - 3) = 6000 uUSD.
  assert.equal(t.wastedWriteTokens, 2000);
  assert.equal(t.wastedWritePremium, usdToPico('0.006'));
  const byModel = Object.fromEntries(agg.groups.map((g) => [g.key, g.cost]));
  assert.deepEqual(byModel, {
    'claude-opus-4-7': usdToPico('0.03'),
    'claude-sonnet-4-6': usdToPico('0.02064'), // 6780 + 13860
    'claude-haiku-4-5-20251001': usdToPico('0.00595'), // alias and dated id are one model: 5350 + 600
  });
  assert.deepEqual(agg.unknownModels.map((u) => [u.model, u.requests, u.tokens.input, u.tokens.output]), [['claude-unknown-9', 1, 1000, 10]]);
  // the subagent's request belongs to its parent session
  assert.equal(agg.topSessions.find((s) => s.key === 'sess-a')?.requests, 4);
});

test('worker threads (compiled) give the same table as the main thread, row for row', async () => {
  const one = await readClaudeCode([fixturePath('claude-code')], { jobs: 1 });
  const cat = testCatalog();
  const rows = (t: typeof one.table) => [...Array(t.size).keys()].map((i) => t.record(i));
  for (const jobs of [2, 3, 5]) {
    const many = await readClaudeCode([fixturePath('claude-code')], { jobs, parallelAbove: 0 });
    assert.equal(aggregate(many.table, cat).totals.cost, aggregate(one.table, cat).totals.cost);
    assert.deepEqual(many.stats, one.stats, `${jobs} threads`);
    // whichever thread read which file, the rows (and so sessions, dedupe ties, samples) come in file order
    assert.deepEqual(rows(many.table), rows(one.table), `${jobs} threads`);
  }
});

test('days and sessions: grouping by day uses UTC dates; since/until filter the rows', async () => {
  const { table } = await readClaudeCode([fixturePath('claude-code')], { jobs: 1 });
  const cat = testCatalog();
  const byDay = aggregate(table, cat, { by: 'day' });
  assert.deepEqual(byDay.groups.map((g) => [g.key, g.requests]), [['2026-11-20', 4], ['2026-11-21', 1]]);
  const only21 = aggregate(table, cat, { since: Date.parse('2026-11-21T00:00:00Z') });
  assert.equal(only21.totals.cost, usdToPico('0.03'));
});

test('keeps the larger output whichever order the duplicate lines come in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-cc-'));
  try {
    const line = (out: number): string =>
      JSON.stringify({ type: 'assistant', sessionId: 's', requestId: 'req_x', timestamp: '2026-11-20T10:00:00Z', message: { id: 'msg_x', model: 'claude-opus-4-7', usage: { input_tokens: 1, output_tokens: out } } });
    mkdirSync(join(dir, 'p'));
    writeFileSync(join(dir, 'p', 's.jsonl'), `${line(300)}\n${line(7)}\r\n`);
    const { table, stats } = await readClaudeCode([dir], { jobs: 1 });
    assert.equal(stats.duplicates, 1);
    assert.equal(table.size, 1);
    assert.equal(table.output(0), 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--since skips files last written before it (their lines can only be older)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-cc-old-'));
  try {
    mkdirSync(join(dir, 'p'));
    const line = JSON.stringify({ type: 'assistant', sessionId: 's', requestId: 'r', timestamp: '2026-01-01T10:00:00Z', message: { id: 'm', model: 'claude-opus-4-7', usage: { input_tokens: 1, output_tokens: 1 } } });
    writeFileSync(join(dir, 'p', 'old.jsonl'), `${line}\n`);
    utimesSync(join(dir, 'p', 'old.jsonl'), new Date('2026-01-01T11:00:00Z'), new Date('2026-01-01T11:00:00Z'));
    const skipped = await readClaudeCode([dir], { jobs: 1, since: Date.parse('2026-06-01T00:00:00Z') });
    assert.equal(skipped.stats.files, 0);
    const read = await readClaudeCode([dir], { jobs: 1, since: Date.parse('2026-01-01T00:00:00Z') });
    assert.equal(read.table.size, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('log folders: CLAUDE_CONFIG_DIR may list several, each with a projects folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-cfg-'));
  try {
    mkdirSync(join(dir, 'one', 'projects'), { recursive: true });
    mkdirSync(join(dir, 'two', 'projects'), { recursive: true });
    const roots = claudeCodeRoots({ CLAUDE_CONFIG_DIR: `${join(dir, 'one')},${join(dir, 'two')},${join(dir, 'missing')}` });
    assert.deepEqual(roots, [join(dir, 'one', 'projects'), join(dir, 'two', 'projects')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
