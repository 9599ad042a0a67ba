/**
 * What the monitor costs per request, and how fast its read side is. Prints figures; asserts nothing.
 *   npx tsx bench/monitor.ts
 * - budget reserve + settle (3 matching budgets), and the pessimistic estimate of a typical request;
 * - the dashboard summary over N stored records;
 * - gateway + emulator round trips, without and with the monitor (budgets, metrics, feed, alerts), sequential and
 *   32 concurrent clients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/server.js';
import { startGateway } from '../src/gateway/server.js';
import { getDefaultCatalog } from '../src/pricing/catalog.js';
import { usdToPico } from '../src/pricing/money.js';
import type { UsageRecord } from '../src/store/record.js';
import { BudgetLedger } from '../src/monitor/budget-ledger.js';
import { estimateReservation } from '../src/monitor/reserve-estimate.js';
import { startMonitoredGateway } from '../src/monitor/start.js';
import { Rollup, summarize } from '../src/monitor/summary.js';

function time(label: string, n: number, fn: () => void): void {
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(52)} ${((ms * 1000) / n).toFixed(2).padStart(9)} µs/op  (${n} ops)`);
}

const ledger = new BudgetLedger([
  { name: 'g', scope: { kind: 'global' }, period: 'month', limitPico: usdToPico('1000000'), mode: 'hard', action: 'refuse', demoteTo: null },
  { name: 't', scope: { kind: 'tag', tag: 'team', value: 'a' }, period: 'day', limitPico: usdToPico('1000000'), mode: 'soft', action: 'alert', demoteTo: null },
  { name: 'k', scope: { kind: 'key', keyHash: 'h', label: 'k' }, period: 'total', limitPico: usdToPico('1000000'), mode: 'hard', action: 'refuse', demoteTo: null },
]);
const charge = { keyHash: 'h', tags: { team: 'a' } };
time('ledger reserve + settle, 3 budgets', 200_000, () => {
  for (let i = 0; i < 200_000; i++) {
    const r = ledger.reserve(charge, 1_000_000n);
    if (r.ok) ledger.settle(r.reservation, 900_000n);
  }
});
const catalog = getDefaultCatalog();
const body = {
  model: 'claude-sonnet-4-6', max_tokens: 1024,
  system: [{ type: 'text', text: 'You are a support agent. '.repeat(400), cache_control: { type: 'ephemeral' } }],
  messages: Array.from({ length: 20 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} `.repeat(60) })),
};
time('pessimistic estimate (12 kB system, 20 turns)', 5_000, () => {
  for (let i = 0; i < 5_000; i++) estimateReservation(catalog, body);
});

const now = Date.now();
const recs: UsageRecord[] = Array.from({ length: 100_000 }, (_, i) => ({
  id: `r${i}`, requestId: null, messageId: null, source: 'gateway', endpoint: 'messages', method: 'POST', path: '/v1/messages',
  startedAt: now - i * 20_000, firstByteAt: null, endedAt: null, requestedModel: 'claude-sonnet-4-6', servedModel: i % 3 ? 'claude-sonnet-4-6' : 'claude-haiku-4-5',
  stream: false, status: 200, outcome: 'ok', stopReason: null, errorType: null, usage: null, inputTokens: 100, outputTokens: 50,
  cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 1000, webSearchRequests: 0, costPico: 1_234_567n, baselinePico: 2_000_000n,
  savingsPico: { caching: 765_433n }, keyHash: `k${i % 7}`, keyLast4: 'abcd', userId: null, sessionId: `s${i % 500}`, tags: { team: `t${i % 5}` },
  batchId: null, customId: null, retries: 0, maxTokens: 100, prefix: [], decisions: [], promptText: null,
}));
time('ranged summary, 100,000 records read (per summary)', 5, () => {
  for (let i = 0; i < 5; i++) summarize(recs, () => true, { now });
});
const live = new Rollup();
time('live summary: add one record', recs.length, () => {
  for (const r of recs) live.add(r);
});
time('live summary: snapshot after 100,000 records', 200, () => {
  for (let i = 0; i < 200; i++) live.snapshot({ now });
});

async function roundTrips(label: string, url: string, n: number, concurrency: number): Promise<void> {
  const send = (): Promise<unknown> =>
    fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01', 'x-clawback-tags': 'team=a' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'ping' }] }),
    }).then((r) => r.text());
  for (let i = 0; i < 50; i++) await send(); // warm up
  const t0 = performance.now();
  let left = n;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) await send();
  }));
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(52)} ${((ms * 1000) / n).toFixed(0).padStart(9)} µs/req  (${n} requests, ${concurrency} at a time, ${((n / ms) * 1000).toFixed(0)} req/s)`);
}

const dir = mkdtempSync(join(tmpdir(), 'clawback-bench-'));
const emu = await startEmulator({ port: 0, env: {} });
try {
  const plain = await startGateway({ port: 0, upstream: emu.url, db: join(dir, 'plain.db'), env: {} });
  await roundTrips('gateway without the monitor, sequential', plain.url, 1000, 1);
  await roundTrips('gateway without the monitor, 32 concurrent', plain.url, 2000, 32);
  await plain.close();
  const mon = await startMonitoredGateway({
    port: 0, upstream: emu.url, db: join(dir, 'mon.db'), env: {}, adminToken: 'x', log: () => undefined,
    config: { budgets: [{ name: 'g', limit_usd: '100000', period: 'month' }, { name: 't', tag: 'team=a', limit_usd: '100000', period: 'day', mode: 'soft' }] },
  });
  await roundTrips('gateway with the monitor (2 budgets), sequential', mon.url, 1000, 1);
  await roundTrips('gateway with the monitor (2 budgets), 32 concurrent', mon.url, 2000, 32);
  await mon.close();
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
