import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUsd } from '../pricing/money.js';
import { openStore } from '../store/open.js';
import { LEVERS, type UsageRecord } from '../store/record.js';
import { main } from './main.js';
import type { CommandIO } from './command.js';
import { demoWorkload } from './demo-workload.js';
import { captureIO } from '../testing/cli-io.js';

function io(): CommandIO & { out(): string; err(): string } {
  const c = captureIO();
  return { ...c.io, out: c.out, err: c.err };
}

/** Runs the demo on a store in a temporary directory and returns its output and the records it left there. */
async function runDemo(args: string[]): Promise<{ out: string; err: string; records: UsageRecord[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-demo-test-'));
  try {
    const db = join(dir, 'demo.db');
    const c = io();
    assert.equal(await main(['demo', '--exit', '--db', db, ...args], c), 0, c.err());
    const store = await openStore(db);
    try {
      return { out: c.out(), err: c.err(), records: await store.query({}) };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sum = (records: readonly UsageRecord[], f: (r: UsageRecord) => bigint): bigint => records.reduce((a, r) => a + f(r), 0n);

test('clawback demo --json: the printed figures are the store\'s, and the levers\' savings add up to the total', async () => {
  const { out, records } = await runDemo(['--json']);
  const r = JSON.parse(out) as {
    requests: number;
    failed: number;
    cost_pico: string;
    baseline_pico: string;
    saved_pico: string;
    savings_by_lever_pico: Record<string, string>;
    applied_by_lever: Record<string, number>;
    cache_hit_rate: number;
    lever_modes: Record<string, string>;
    by_part: Record<string, { requests: number; cost_pico: string; baseline_pico: string }>;
    dashboard: string;
  };
  assert.equal(r.failed, 0);
  assert.equal(r.requests, demoWorkload().length, 'every request of the workload was metered');
  assert.equal(records.length, r.requests);
  assert.deepEqual(r.lever_modes, { routing: 'enforce', output: 'enforce', caching: 'enforce' });

  const cost = sum(records, (x) => x.costPico);
  const baseline = sum(records, (x) => x.baselinePico);
  assert.equal(BigInt(r.cost_pico), cost);
  assert.equal(BigInt(r.baseline_pico), baseline);
  assert.equal(BigInt(r.saved_pico), baseline - cost);
  const byLever = Object.values(r.savings_by_lever_pico).reduce((a, v) => a + BigInt(v), 0n);
  assert.equal(byLever, baseline - cost, 'savings by lever add up to the total saving');
  for (const l of LEVERS) assert.equal(BigInt(r.savings_by_lever_pico[l] ?? '0'), sum(records, (x) => x.savingsPico[l] ?? 0n), l);

  const parts = Object.values(r.by_part);
  assert.deepEqual(Object.keys(r.by_part).sort(), [...new Set(demoWorkload().map((x) => x.part))].sort());
  assert.equal(parts.reduce((a, p) => a + p.requests, 0), records.length, 'every record is in one part of the workload');
  assert.equal(parts.reduce((a, p) => a + BigInt(p.cost_pico), 0n), cost);
  assert.equal(parts.reduce((a, p) => a + BigInt(p.baseline_pico), 0n), baseline);

  assert.ok(cost < baseline, `with clawback (${cost}) should cost less than without (${baseline})`);
  assert.ok(BigInt(r.savings_by_lever_pico['caching'] ?? '0') > 0n, 'caching saved money on the naive clients\' repeated prefixes');
  assert.ok((r.applied_by_lever['routing'] ?? 0) > 0, 'routing moved requests in enforce mode');
  assert.ok(records.some((x) => x.requestedModel !== x.servedModel), 'some request was served by another model');
  assert.ok(records.some((x) => x.stopReason === 'stop_sequence' && x.decisions.some((d) => d.lever === 'output' && d.applied)), 'a report ended at the stop sequence the output lever added');

  const read = records.reduce((a, x) => a + x.cacheReadTokens, 0);
  const prompt = records.reduce((a, x) => a + x.inputTokens + x.cacheReadTokens + x.cacheWrite5mTokens + x.cacheWrite1hTokens, 0);
  assert.ok(Math.abs(r.cache_hit_rate - read / prompt) < 1e-4, `cache hit rate ${r.cache_hit_rate} vs ${read / prompt}`);
  assert.match(r.dashboard, /^http:\/\/127\.0\.0\.1:\d+\/clawback\/\?token=[\w-]+$/);
});

test('clawback demo --observe prints the store\'s bill and what routing would have saved from its recorded decisions', async () => {
  const { out, records } = await runDemo(['--observe']);
  const cost = sum(records, (x) => x.costPico);
  const baseline = sum(records, (x) => x.baselinePico);
  const line = (label: string): string => new RegExp(`^ +${label} +(-?\\$\\d+\\.\\d{6})`, 'm').exec(out)?.[1] ?? `no "${label}" line in:\n${out}`;
  assert.equal(line('without clawback'), formatUsd(baseline, 6));
  assert.equal(line('with clawback'), formatUsd(cost, 6));
  assert.equal(line('saved'), formatUsd(baseline - cost, 6));
  assert.equal(line('caching +enforce'), formatUsd(sum(records, (x) => x.savingsPico.caching ?? 0n), 6));
  assert.match(out, /routing and output budgets only observe/);

  // Observing changes no model; the estimate is the sum of what the routing decisions recorded.
  for (const x of records) assert.equal(x.servedModel, x.requestedModel);
  const estimated = sum(records, (x) => x.decisions.filter((d) => d.lever === 'routing' && d.mode === 'observe').reduce((a, d) => a + BigInt(d.estimatedSavingPico ?? '0'), 0n));
  assert.notEqual(estimated, 0n);
  assert.equal(line('routing +observe'), formatUsd(sum(records, (x) => x.savingsPico.routing ?? 0n), 6));
  const would = /would have saved enforcing[^\n]*\n +routing +(-?\$\d+\.\d{6})/.exec(out)?.[1];
  assert.equal(would, formatUsd(estimated, 6));
  assert.match(out, /dashboard: http:\/\/127\.0\.0\.1:\d+\/clawback\/\?token=/);
});
