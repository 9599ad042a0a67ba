/**
 * `clawback cache` as a user runs it: a gateway with the caching lever meters a small support workload into a
 * SQLite store (emulator upstream, manual clock), then the command prints the forensics of that file: JSON totals
 * that agree with the records, the per-session filter, the text tables, and one-line errors for bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ManualClock } from '../emulator/clock.js';
import { startEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import { driveWorkload, workload } from '../levers/cache-workloads.js';
import { createCachingLever } from '../levers/caching.js';
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

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(argv, { stdout, stderr, stdin: Readable.from([]), env: {}, color: false });
  return { code, out: stdout.text, err: stderr.text };
}

let dir = '';
let db = '';
const steps = workload('support', { style: 'naive', count: 2 });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clawback-cache-cli-'));
  db = join(dir, 'usage.db');
  const clock = new ManualClock();
  const start = clock.now();
  const emulator = await startEmulator({ port: 0, clock });
  const store = openSqliteStore(db, { flushMs: 0, flushOnExit: false });
  const gateway = await startGateway({ port: 0, upstream: emulator.url, store, planner: createPlanner([createCachingLever({ now: () => clock.now() })]) });
  try {
    await driveWorkload({ url: gateway.url, steps, advanceTo: (ms) => clock.set(start + ms) });
    await gateway.drain();
  } finally {
    await gateway.close();
    await store.close();
    await emulator.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface Stats {
  requests: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  hit_rate: number;
  net_saving_usd: number;
  lever_saving_usd: number;
  misses: Record<string, number>;
}

test('--json: totals, sessions and prefixes from the store', async () => {
  const r = await run(['cache', '--db', db, '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { totals: Stats; sessions: (Stats & { session: string })[]; prefixes: (Stats & { prefix: string })[]; misses: { reason: string }[] };
  assert.equal(j.totals.requests, steps.length);
  assert.equal(j.sessions.length, 2);
  assert.equal(j.sessions.reduce((s, x) => s + x.requests, 0), steps.length);
  assert.ok(j.totals.hit_rate > 0.85 && j.totals.hit_rate < 1);
  assert.equal(Math.round(j.totals.hit_rate * 1000), Math.round((j.totals.cache_read_tokens / j.totals.input_tokens) * 1000));
  // caching pays after its write premium, and the lever saved what a naive client would have paid more
  assert.ok(j.totals.net_saving_usd > 0);
  assert.ok(Math.abs(j.totals.lever_saving_usd - j.totals.net_saving_usd) < 1e-9, 'a naive client caches nothing itself');
  // one shared prefix: the system prompt, up to the first breakpoint
  assert.equal(j.prefixes.length, 1);
  assert.match(j.prefixes[0]!.prefix, /^[0-9a-f]{12} \(\d+ tokens\)$/);
  // the very first request was cold; pauses over 5 minutes show up as expired
  assert.equal(j.totals.misses['cold'], 1);
  assert.equal(j.misses[0]!.reason, 'cold');
});

test('--session: only that session', async () => {
  const id = steps[0]!.session!;
  const r = await run(['cache', '--db', db, '--session', id, '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { totals: Stats; sessions: { session: string }[] };
  assert.equal(j.totals.requests, steps.filter((s) => s.session === id).length);
  assert.deepEqual(j.sessions.map((s) => s.session), [id]);
});

test('text output: the totals, per-session and per-prefix tables', async () => {
  const r = await run(['cache', '--db', db]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\s+requests\s+written\s+read\s+hit rate/m);
  assert.match(r.out, /^all requests\s+\d+/m);
  assert.match(r.out, /^per session$/m);
  assert.match(r.out, /^support-1-0\s/m);
  assert.match(r.out, /^per prefix \(up to the first breakpoint\)$/m);
  assert.match(r.out, /cold 1/);
});

test('a missing store and a bad --since are one-line errors with exit code 2', async () => {
  const missing = await run(['cache', '--db', join(dir, 'nope.db')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no usage store at .*nope\.db/);
  const since = await run(['cache', '--db', db, '--since', 'yesterday']);
  assert.equal(since.code, 2);
  assert.match(since.err, /--since must be a date/);
});
