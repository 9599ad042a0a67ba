/**
 * `clawback analyze` as a user runs it: Claude Code fixture logs to JSON (the DESIGN.md contract), text and HTML;
 * a gateway store filled by a real gateway in front of the emulator; reconciliation of that store with the
 * emulator's Admin API usage and cost reports; and one-line errors for bad flags.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fixturePath } from '../analyze/test-fixtures.js';
import { ManualClock } from '../emulator/clock.js';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import { driveWorkload, workload } from '../levers/cache-workloads.js';
import { createPlanner } from '../levers/planner.js';
import { openSqliteStore } from '../store/sqlite.js';
import { main } from './main.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(argv, { stdout, stderr, stdin: Readable.from([]), env, color: false });
  return { code, out: stdout.text, err: stderr.text };
}

let dir = '';
let db = '';
let emulator: RunningEmulator;
const steps = workload('support', { style: 'naive', count: 2 });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clawback-analyze-cli-'));
  db = join(dir, 'usage.db');
  // The gateway stamps records with the real time; the emulator's ledger (and its Admin API) with this clock.
  const clock = new ManualClock(Date.now());
  const start = clock.now();
  emulator = await startEmulator({ port: 0, clock });
  const store = openSqliteStore(db, { flushMs: 0, flushOnExit: false });
  const gateway = await startGateway({ port: 0, upstream: emulator.url, store, planner: createPlanner([]) });
  try {
    await driveWorkload({ url: gateway.url, steps, advanceTo: (ms) => clock.set(start + ms) });
    await gateway.drain();
  } finally {
    await gateway.close();
    await store.close();
  }
});

after(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Json {
  totals: Record<string, number | string | null>;
  whatif: { levers: { lever: string; saving_usd: number; assumption: string }[]; combined: { saving_usd: number }; combined_saving_usd: number; oracle: { cost_usd: number } };
  sources: { kind: string; malformed_lines: number; duplicate_lines: number }[];
  unknown_models: { model: string; requests: number; input_tokens: number }[];
  groups: { key: string; requests: number }[];
  reconciliation?: { metered_usd: number; billed_usd: number; difference_usd: number; days: { date: string; difference_usd: number }[] };
}

test('--json on Claude Code logs: the contract keys, malformed and duplicate lines, unknown models', async () => {
  const r = await run(['analyze', fixturePath('claude-code'), '--json', '--by', 'model']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Json;
  for (const k of ['cost_usd', 'requests', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens']) assert.equal(typeof j.totals[k], 'number', k);
  assert.equal(j.totals['requests'], 5);
  assert.equal(j.totals['cache_creation_tokens'], 3000);
  assert.deepEqual(j.whatif.levers.map((l) => l.lever), ['caching', 'routing', 'batching', 'output_caps', 'compression']);
  for (const l of j.whatif.levers) assert.ok(l.assumption.length > 20, `${l.lever} states its assumption`);
  assert.equal(j.whatif.combined_saving_usd, j.whatif.combined.saving_usd);
  assert.ok(j.whatif.oracle.cost_usd <= (j.totals['cost_usd'] as number));
  assert.deepEqual(j.sources.map((s) => [s.kind, s.malformed_lines, s.duplicate_lines]), [['claude-code', 2, 2]]);
  assert.deepEqual(j.unknown_models.map((u) => [u.model, u.requests, u.input_tokens]), [['claude-unknown-9', 1, 1000]]);
  assert.equal(j.groups.length, 3);
});

test('no PATH: reads CLAUDE_CONFIG_DIR; text report names what it could not price', async () => {
  const r = await run(['analyze'], { CLAUDE_CONFIG_DIR: fixturePath('claude-code') });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^clawback analyze: 5 requests/m);
  assert.match(r.out, /NOT PRICED: model "claude-unknown-9"/);
  assert.match(r.out, /2 malformed lines skipped/);
  assert.match(r.out, /^\s+caching\s+would cost/m);
  assert.match(r.out, /^\s+oracle floor\s+would cost/m);
});

test('--html writes one self-contained page with charts and no external URL', async () => {
  const file = join(dir, 'report.html');
  const r = await run(['analyze', fixturePath('claude-code'), '--html', file]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(file));
  const html = readFileSync(file, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 3, 'spend over time, by model, waterfall');
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i);
});

test('the gateway store: totals equal the sum of what the gateway metered, to the pico-dollar', async () => {
  const store = openSqliteStore(db, { flushOnExit: false });
  const records = await store.query({});
  await store.close();
  const metered = records.filter((x) => x.endpoint === 'messages' && x.outcome !== 'rejected');
  const r = await run(['analyze', db, '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Json;
  assert.equal(j.sources[0]?.kind, 'store');
  assert.equal(j.totals['requests'], metered.length);
  assert.equal(j.totals['requests'], steps.length);
  assert.equal(j.totals['cost_pico_usd'], metered.reduce((a, x) => a + x.costPico, 0n).toString());
});

test('--source admin-api: what the store metered against what the (emulated) Admin API billed', async () => {
  // a window wide enough for both clocks (the workload moves the emulator's clock ahead by its pauses)
  const since = new Date(Date.now() - 86_400_000).toISOString();
  const until = new Date(Date.now() + 2 * 86_400_000).toISOString();
  const r = await run(['analyze', db, '--source', 'admin-api', '--admin-key', 'sk-ant-admin01-test', '--admin-url', emulator.url, '--since', since, '--until', until, '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Json;
  const rec = j.reconciliation!;
  assert.ok(rec.billed_usd > 0);
  assert.equal(rec.metered_usd, j.totals['cost_usd']);
  assert.equal(rec.difference_usd, 0);
  const missing = await run(['analyze', db, '--source', 'admin-api']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /needs --admin-key or ANTHROPIC_ADMIN_KEY/);
});

test('bad flags: one line, exit 2', async () => {
  const by = await run(['analyze', '--by', 'year']);
  assert.equal(by.code, 2);
  assert.match(by.err, /--by must be one of day, week, month, model, session, project, key, tag/);
  const range = await run(['analyze', '--since', '2026-11-21', '--until', '2026-11-20']);
  assert.equal(range.code, 2);
  assert.match(range.err, /--until must be after --since/);
  const date = await run(['analyze', '--since', 'yesterday']);
  assert.equal(date.code, 2);
  assert.equal(date.err.trim().split('\n').length, 1);
});
