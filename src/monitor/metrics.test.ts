import { test } from 'node:test';
import assert from 'node:assert/strict';
import { picoToUsd } from '../pricing/money.js';
import { createMetrics } from './metrics.js';
import { startHarness, TOKEN, userMessage } from './testing.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format (0.0.4): HELP/TYPE comments and `name{l="v",...} value` lines. */
function parseProm(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

const sum = (s: Sample[], name: string, where: (l: Record<string, string>) => boolean = () => true): number =>
  s.filter((x) => x.name === name && where(x.labels)).reduce((a, x) => a + x.value, 0);

test('/metrics is Prometheus text that matches the store: requests, tokens, cost, cache ratio, latency, errors, budgets', async () => {
  const h = await startHarness({ config: { budgets: [{ name: 'monthly', limit_usd: '10', period: 'month' }] } });
  try {
    const system = [{ type: 'text', text: 'You answer billing questions. ' + 'Invoices list every line item with its tax. '.repeat(120), cache_control: { type: 'ephemeral' } }];
    for (let i = 0; i < 3; i++) {
      const r = await h.send({ model: 'claude-sonnet-4-6', max_tokens: 100, system, messages: [{ role: 'user', content: `question ${i}` }] });
      assert.equal(r.status, 200);
    }
    assert.equal((await h.send(userMessage('hi', 'claude-haiku-4-5', 50))).status, 200);
    assert.equal((await h.send({ model: 'claude-sonnet-4-6', messages: [] })).status, 400); // upstream rejects: an error
    await h.gw.drain();

    assert.equal((await fetch(`${h.gw.url}/metrics`)).status, 401, 'the token is needed when one is set');
    const res = await fetch(`${h.gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseProm(await res.text());
    const records = await h.gw.store.query({});

    assert.equal(types.get('clawback_requests_total'), 'counter');
    assert.equal(types.get('clawback_request_duration_seconds'), 'histogram');
    assert.equal(types.get('clawback_first_byte_seconds'), 'histogram');
    assert.equal(sum(samples, 'clawback_requests_total'), records.length);
    assert.equal(sum(samples, 'clawback_requests_total', (l) => l['outcome'] === 'ok'), 4);
    assert.equal(sum(samples, 'clawback_upstream_errors_total', (l) => l['status'] === '400'), 1);
    const tok = (kind: string): number => sum(samples, 'clawback_tokens_total', (l) => l['kind'] === kind);
    assert.equal(tok('input'), records.reduce((a, r) => a + r.inputTokens, 0));
    assert.equal(tok('output'), records.reduce((a, r) => a + r.outputTokens, 0));
    assert.equal(tok('cache_read'), records.reduce((a, r) => a + r.cacheReadTokens, 0));
    assert.ok(tok('cache_read') > 0, 'the repeated system prompt was read from the cache');
    assert.equal(tok('cache_write_5m'), records.reduce((a, r) => a + r.cacheWrite5mTokens, 0));
    const cost = records.reduce((a, r) => a + r.costPico, 0n);
    // one sample per model, each exact; their float sum may differ from the exact total in the last bit
    assert.ok(Math.abs(sum(samples, 'clawback_cost_usd_total') - picoToUsd(cost)) < 1e-12);
    const allInput = tok('input') + tok('cache_write_5m') + tok('cache_write_1h') + tok('cache_read');
    assert.equal(sum(samples, 'clawback_cache_hit_ratio'), tok('cache_read') / allInput);
    assert.equal(sum(samples, 'clawback_request_duration_seconds_count'), records.length);
    assert.equal(sum(samples, 'clawback_budget_limit_usd', (l) => l['budget'] === 'monthly'), 10);
    assert.equal(sum(samples, 'clawback_budget_remaining_usd', (l) => l['budget'] === 'monthly'), picoToUsd(10_000_000_000_000n - cost));
    assert.equal(types.get('clawback_store_pending_records'), 'gauge');
    assert.equal(sum(samples, 'clawback_store_pending_records'), 0, 'drained: everything is written');
  } finally {
    await h.close();
  }
});

test('clawback_store_pending_records reads the store at every scrape', async () => {
  let pending = 7;
  const m = createMetrics(() => [], () => pending);
  const at = async (): Promise<number> => sum(parseProm(await m.text()).samples, 'clawback_store_pending_records');
  assert.equal(await at(), 7);
  pending = 0;
  assert.equal(await at(), 0);
  assert.doesNotMatch(await createMetrics().text(), /clawback_store_pending_records/, 'absent when the store cannot tell');
});
