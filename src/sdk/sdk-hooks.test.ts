// The monitor in-process (`monitor: PATH`): its budget hook refuses a request that would overrun a hard budget
// before it is sent, and settles what each request cost, exactly as it does in the gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator } from '../emulator/server.js';
import { withClawback } from './index.js';

test('a hard budget refuses in-process with the API\'s 429, unsent and not retried; spend is settled from the records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-sdk-hooks-'));
  const emu = await startEmulator({ port: 0 });
  const config = { budgets: [{ name: 'team-search', tag: 'team=search', limit_usd: '0.002', period: 'day' }] };
  // maxRetries 2: a refusal must not be retried (it would be refused again)
  const client = withClawback(new Anthropic({ apiKey: 'sk-ant-hooks-test', baseURL: emu.url, maxRetries: 2 }), {
    db: join(dir, 'usage.db'), config, tags: { team: 'search' }, monitor: join(dir, 'monitor.db'), env: {},
  });
  try {
    const monitor = await client.clawback.monitor;
    assert.ok(monitor);
    const store = client.clawback.store;
    let ok = 0;
    let refused: unknown = null;
    for (let i = 0; i < 10 && refused === null; i++) {
      try {
        await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 60, messages: [{ role: 'user', content: `Question number ${i}` }] });
        ok++;
      } catch (err) {
        refused = err;
      }
    }
    assert.ok(ok >= 1, 'requests within the budget go through');
    assert.ok(refused instanceof Anthropic.RateLimitError, `refused with a 429: ${String(refused)}`);
    assert.match((refused.error as { error: { message: string } }).error.message, /^clawback budget "team-search"/);
    assert.equal(emu.ledger.entries().length, ok, 'the refused request never reached the API');
    await client.clawback.flush();
    const recs = await store.query({});
    const rejected = recs.filter((r) => r.outcome === 'rejected');
    assert.equal(rejected.length, 1, 'refused once, not retried');
    assert.equal(rejected[0]!.status, 429);
    assert.equal(rejected[0]!.costPico, 0n);
    const [status] = monitor.ledger.status();
    assert.equal(status!.spent, recs.reduce((s, r) => s + r.costPico, 0n), 'the budget spent exactly what was metered');
    assert.equal(status!.spent, emu.ledger.totalPico(), '... which is what the API billed');
    assert.equal(status!.inFlight, 0n, 'every reservation was settled');
    // another team is not under this budget
    const other = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 60, messages: [{ role: 'user', content: 'Other team' }] }, { headers: { 'x-clawback-tags': 'team=ads' } });
    assert.equal(other.type, 'message');
  } finally {
    await client.clawback.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad budget is reported when the wrapper is made, not on the first request', () => {
  assert.throws(
    () => withClawback(new Anthropic({ apiKey: 'k' }), { db: ':memory:', monitor: ':memory:', config: { budgets: [{ name: 'x', limit_usd: 'lots', period: 'day' }] } }),
    /budgets/,
  );
});
