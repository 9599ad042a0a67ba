/**
 * The caching lever end to end: the caching workloads sent through gateway -> emulator (manual clock, fresh
 * emulator and store per run), by a naive client and in Claude Code's pattern, with and without the lever. The
 * targets of the issue are asserted on the metered records: >= 90% of input tokens read from cache on sessions of
 * 10+ turns, no write below the model's minimum, <= 1% of written tokens never read in steady state, never more
 * expensive than the client's own caching; and the savings the lever attributes to itself equal the difference
 * between the two runs to the pico-dollar.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../emulator/clock.js';
import { startEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import type { UsageRecord } from '../store/record.js';
import { openSqliteStore } from '../store/sqlite.js';
import { cacheForensics, hitRate, wasteRate, type CacheForensics } from './cache-forensics.js';
import { driveWorkload, workload, type ClientStyle, type WorkloadName, type WorkloadStep } from './cache-workloads.js';
import { createCachingLever } from './caching.js';
import type { RequestPlan } from './lever.js';
import { createPlanner } from './planner.js';

interface Run {
  readonly records: UsageRecord[];
  readonly cost: bigint;
  readonly f: CacheForensics;
}

async function run(steps: readonly WorkloadStep[], withLever: boolean, mode: 'observe' | 'enforce' = 'enforce'): Promise<Run> {
  const clock = new ManualClock();
  const start = clock.now();
  const emulator = await startEmulator({ port: 0, clock });
  const store = openSqliteStore(':memory:', { flushMs: 0, flushOnExit: false });
  const planner = withLever ? createPlanner([createCachingLever({ now: () => clock.now(), mode })]) : undefined;
  const gateway = await startGateway({ port: 0, upstream: emulator.url, store, ...(planner ? { planner } : {}) });
  try {
    await driveWorkload({ url: gateway.url, steps, advanceTo: (ms) => clock.set(start + ms) });
    await gateway.drain();
    const records = await store.query({});
    assert.equal(records.length, steps.length);
    return { records, cost: records.reduce((s, r) => s + r.costPico, 0n), f: cacheForensics(records, getDefaultCatalog()) };
  } finally {
    await gateway.close();
    await store.close();
    await emulator.close();
  }
}

const cache = new Map<string, Promise<Run>>();
function runOnce(name: WorkloadName, style: ClientStyle, withLever: boolean, count: number): Promise<Run> {
  const key = `${name}/${style}/${withLever}/${count}`;
  let p = cache.get(key);
  if (!p) cache.set(key, (p = run(workload(name, { style, count }), withLever)));
  return p;
}

const leverSaving = (r: Run): bigint => r.records.reduce((s, x) => s + (x.savingsPico.caching ?? 0n), 0n);

for (const [name, count] of [['support', 4], ['agent', 1]] as const) {
  test(`${name}, naive client: >= 90% of input read from cache, <= 1% of writes never read, cheaper, savings attributed exactly`, async () => {
    const without = await runOnce(name, 'naive', false, count);
    const withLever = await runOnce(name, 'naive', true, count);
    assert.equal(hitRate(without.f.totals), 0, 'a naive client caches nothing by itself');
    for (const [id, s] of withLever.f.sessions) assert.ok(s.requests >= 10, `session ${id} has ${s.requests} turns`);
    assert.ok(hitRate(withLever.f.totals) >= 0.9, `hit rate ${hitRate(withLever.f.totals)}`);
    assert.ok(wasteRate(withLever.f.totals, true) <= 0.01, `never read ${wasteRate(withLever.f.totals, true)}`);
    assert.ok(withLever.cost * 3n < without.cost, `${withLever.cost} vs ${without.cost}`);
    assert.equal(leverSaving(withLever), without.cost - withLever.cost);
  });

  test(`${name}, Claude Code's pattern: never more expensive than the client's own caching`, async () => {
    const own = await runOnce(name, 'claude-code', false, count);
    const withLever = await runOnce(name, 'claude-code', true, count);
    assert.ok(withLever.cost <= own.cost, `${withLever.cost} > ${own.cost}`);
    assert.equal(leverSaving(withLever), own.cost - withLever.cost);
    assert.ok(hitRate(withLever.f.totals) >= 0.9);
  });
}

test('questions over a shared document: the document is cached once, the one-off questions soon are not written', async () => {
  const naive = await runOnce('docs', 'naive', false, 12);
  const withLever = await runOnce('docs', 'naive', true, 12);
  assert.ok(hitRate(withLever.f.totals) >= 0.85, `hit rate ${hitRate(withLever.f.totals)}`);
  assert.ok(wasteRate(withLever.f.totals, false) <= 0.01, `never read ${wasteRate(withLever.f.totals, false)}`);
  // the last questions write nothing at all: the document is read, the question is plain input
  const tail = withLever.records.slice(-4);
  for (const r of tail) {
    assert.equal(r.cacheWrite5mTokens + r.cacheWrite1hTokens, 0);
    assert.ok(r.cacheReadTokens > 15_000);
  }
  assert.ok(withLever.cost * 3n < naive.cost);
  // Claude Code's pattern writes document + question on every request; the lever's document breakpoint fixes that.
  const cc = await runOnce('docs', 'claude-code', false, 12);
  const ccLever = await runOnce('docs', 'claude-code', true, 12);
  assert.ok(ccLever.cost * 2n < cc.cost, `${ccLever.cost} vs ${cc.cost}`);
  assert.equal(leverSaving(ccLever), cc.cost - ccLever.cost);
});

test("no write below the model's minimum: Haiku 4.5 (4,096 tokens) on the support chat", async () => {
  const steps = workload('support', { style: 'naive', count: 2, model: 'claude-haiku-4-5' });
  const r = await run(steps, true);
  const min = getDefaultCatalog().resolve('claude-haiku-4-5').entry.min_cacheable_tokens;
  let writes = 0;
  for (const rec of r.records) {
    const written = rec.cacheWrite5mTokens + rec.cacheWrite1hTokens;
    if (written > 0) {
      writes++;
      assert.ok(rec.cacheReadTokens + written >= min, `wrote a ${rec.cacheReadTokens + written}-token prefix`);
    }
    const d = rec.decisions.find((x) => x.lever === 'caching');
    const added = (d?.detail?.['added'] ?? []) as { path: string }[];
    const bps = (d?.detail?.['breakpoints'] ?? []) as { path: string; tokens: number }[];
    for (const a of added) assert.ok(bps.find((b) => b.path === a.path)!.tokens >= min, `breakpoint at ${a.path} below ${min}`);
  }
  assert.ok(writes > 0, 'the conversations do grow past the minimum and get cached');
  assert.ok(r.f.totals.misses['below_minimum']! > 0, 'short prompts are reported as below the minimum');
});

test('tool_use key order that changes between requests: reported as a buster, then fixed by sorting keys', async () => {
  type Obj = Record<string, unknown>;
  const base = workload('agent', { style: 'naive', count: 1 }).slice(0, 8);
  // A Go client: map order differs on every serialisation.
  const steps = base.map((s, i) => {
    const body = structuredClone(s.body);
    for (const m of body['messages'] as Obj[]) {
      if (!Array.isArray(m['content'])) continue;
      for (const b of m['content'] as Obj[]) {
        if (b['type'] !== 'tool_use') continue;
        const input = b['input'] as Obj;
        const keys = Object.keys(input);
        if (i % 2 === 1) keys.reverse();
        b['input'] = Object.fromEntries(keys.map((k) => [k, input[k]]));
      }
    }
    return { ...s, body };
  });
  const r = await run(steps, true);
  const decisions = r.records.map((x) => x.decisions.find((d) => d.lever === 'caching')!);
  const busted = decisions.findIndex((d) => (d.detail?.['buster'] as { kind?: string } | null)?.kind === 'tool_input_key_order');
  assert.ok(busted > 0, 'the key-order change is found');
  assert.match(decisions[busted]!.summary, /cache buster at messages\[\d+\]\.content\[1\]: tool_input_key_order/);
  // From then on the inputs go upstream sorted, and the conversation is read from cache again.
  decisions.forEach((d, i) => {
    if (i >= busted) assert.equal(d.detail?.['sortedToolInputKeys'], i % 2 === 1, `request ${i}`);
  });
  for (const rec of r.records.slice(busted + 1)) assert.ok(rec.cacheReadTokens > 4000, `read ${rec.cacheReadTokens}`);
});

test('observe mode: nothing changes upstream, and the recorded estimate is what enforce mode saves', async () => {
  const steps = workload('support', { style: 'naive', count: 1 });
  const without = await run(steps, false);
  const observed = await run(steps, true, 'observe');
  const enforced = await run(steps, true, 'enforce');
  assert.equal(observed.cost, without.cost);
  assert.equal(hitRate(observed.f.totals), 0);
  assert.equal(leverSaving(observed), 0n, 'observe mode attributes no saving');
  const estimates = observed.records.map((r) => r.decisions.find((d) => d.lever === 'caching')!);
  for (const d of estimates) {
    assert.equal(d.mode, 'observe');
    assert.equal(d.applied, false);
    assert.match(d.summary, /would add/);
  }
  const estimated = estimates.reduce((s, d) => s + BigInt(d.estimatedSavingPico ?? '0'), 0n);
  assert.equal(estimated, without.cost - enforced.cost);
});

test('warmTokens: what a model switch would throw away, per model, from what the lever sent', async () => {
  const catalog = getDefaultCatalog();
  let now = Date.UTC(2026, 0, 1);
  const lever = createCachingLever({ now: () => now });
  const planner = createPlanner([lever]);
  const attribution = { keyHash: 'k1', userId: null, sessionId: 's1', tags: {} };
  const [first, second] = workload('support', { style: 'naive', count: 1 }).slice(0, 2);
  const plan = (body: Record<string, unknown>): RequestPlan => ({
    original: body, body, attribution, headers: {}, catalog, model: catalog.resolve(String(body['model'])), deferMs: null, decisions: [],
  });
  const sonnet = catalog.resolve('claude-sonnet-4-6');
  assert.equal(lever.warmTokens(second!.body, sonnet, attribution), 0, 'cold before anything was sent');
  const p = plan(first!.body);
  await planner.plan(p);
  planner.settle(p, { status: 200, priced: null, stopReason: 'end_turn', startedAt: now });
  now += 30_000;
  const warm = lever.warmTokens(second!.body, sonnet, attribution);
  assert.ok(warm > 3000, `warm ${warm}`);
  assert.equal(lever.warmTokens(second!.body, catalog.resolve('claude-opus-4-7'), attribution, 'claude-opus-4-7'), 0);
  assert.equal(lever.warmTokens(second!.body, sonnet, { ...attribution, keyHash: 'other-workspace' }), 0);
  now += 6 * 60_000;
  assert.equal(lever.warmTokens(second!.body, sonnet, attribution), 0, 'expired after 5 minutes');
});

test('a timestamp in the system prompt: named as the buster, and the lever stops writing what will not be read', async () => {
  const steps = workload('support', { style: 'naive', count: 2 }).map((s) => ({
    ...s,
    body: { ...s.body, system: `Now: ${new Date(Date.UTC(2026, 0, 1) + s.at).toISOString()}\n${String(s.body['system'])}` },
  }));
  const without = await run(steps, false);
  const withLever = await run(steps, true);
  const decisions = withLever.records.map((r) => r.decisions.find((d) => d.lever === 'caching')!);
  const busted = decisions.filter((d) => (d.detail?.['buster'] as { kind?: string; path?: string } | null)?.path === 'system');
  assert.equal(busted.length, steps.length - 2, 'every request after the first of its session');
  assert.ok(busted.every((d) => (d.detail?.['buster'] as { kind: string }).kind === 'volatile_text'));
  assert.match(String((busted[0]!.detail?.['buster'] as { detail: string }).detail), /^"2026-01-01T[\d:.]+Z" became "2026-01-01T[\d:.]+Z"/);
  // Only the first request of each session wrote; the cost of finding out is under 1% here.
  assert.equal(withLever.records.filter((r) => r.cacheWrite5mTokens > 0).length, 2);
  assert.ok(withLever.cost * 100n <= without.cost * 101n, `${withLever.cost} vs ${without.cost}`);
  assert.equal(withLever.f.totals.misses['buster:volatile_text'], steps.length - 2);
});

test('a restarted gateway against a warm cache claims no saving it cannot prove, then attributes again', async () => {
  const clock = new ManualClock();
  const start = clock.now();
  const emulator = await startEmulator({ port: 0, clock });
  const steps = workload('support', { style: 'naive', count: 1 });
  const half = Math.floor(steps.length / 2);
  const records: UsageRecord[][] = [];
  try {
    for (const part of [steps.slice(0, half), steps.slice(half)]) {
      const store = openSqliteStore(':memory:', { flushMs: 0, flushOnExit: false });
      const gateway = await startGateway({ port: 0, upstream: emulator.url, store, planner: createPlanner([createCachingLever({ now: () => clock.now() })]) });
      try {
        await driveWorkload({ url: gateway.url, steps: part, advanceTo: (ms) => clock.set(start + ms) });
        await gateway.drain();
        records.push(await store.query({}));
      } finally {
        await gateway.close();
        await store.close();
      }
    }
  } finally {
    await emulator.close();
  }
  const [first, ...rest] = records[1]!;
  assert.ok(first!.cacheReadTokens > 0, 'the API still had the conversation cached');
  assert.equal(first!.savingsPico.caching, undefined, 'no baseline the lever can stand behind');
  // The next turn reads what the first one wrote, as the lever predicted: its saving is attributed again.
  assert.ok(rest[0]!.cacheReadTokens > first!.cacheReadTokens);
  assert.notEqual(rest[0]!.savingsPico.caching, undefined);
});
