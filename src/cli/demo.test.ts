import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from './main.js';
import type { CommandIO } from './command.js';

function io(): CommandIO & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return { stdout, stderr, stdin: new PassThrough(), env: {}, color: false, out: () => o, err: () => e };
}

test('clawback demo --exit --json: a mixed workload through emulator and gateway, cheaper with clawback than without', async () => {
  const c = io();
  assert.equal(await main(['demo', '--exit', '--json'], c), 0, c.err());
  const r = JSON.parse(c.out()) as {
    requests: number;
    cost_pico: string;
    baseline_pico: string;
    savings_usd: number;
    savings_percent: number;
    savings_by_lever: Record<string, number>;
    dashboard: string;
  };
  assert.equal(r.requests, 18);
  const cost = BigInt(r.cost_pico);
  const baseline = BigInt(r.baseline_pico);
  assert.ok(cost > 0n);
  assert.ok(cost < baseline, `with clawback (${cost}) should cost less than without (${baseline})`);
  assert.ok((r.savings_by_lever['caching'] ?? 0) > 0, 'the caching lever saved money on the repeated prefixes');
  assert.match(r.dashboard, /^http:\/\/127\.0\.0\.1:\d+\/clawback\/\?token=[\w-]+$/);
});

test('clawback demo prints both bills and the dashboard URL', async () => {
  const c = io();
  assert.equal(await main(['demo', '--exit'], c), 0, c.err());
  assert.match(c.out(), /without clawback\s+\$\d+\.\d{6}/);
  assert.match(c.out(), /with clawback\s+\$\d+\.\d{6}/);
  assert.match(c.out(), /saved\s+\$\d+\.\d{6}\s+\(\d+\.\d%\)/);
  assert.match(c.out(), /dashboard: http:\/\/127\.0\.0\.1:\d+\/clawback\/\?token=/);
});
