import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usdToPico } from '../pricing/money.js';
import { parseAlerts } from './alert-config.js';
import { AlertCenter, type AlertPayload } from './alerts.js';
import { BudgetLedger } from './budget-ledger.js';
import type { BudgetRule } from './budget-config.js';
import { openStateDb } from './state-db.js';
import { startHarness, TOKEN, userMessage } from './testing.js';

/** A local webhook receiver that answers 500 to the first `failFirst` POSTs, then 204. */
async function receiver(failFirst = 0): Promise<{ url: string; received: AlertPayload[]; attempts: number; close(): Promise<void> }> {
  const received: AlertPayload[] = [];
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      assert.equal(req.headers['content-type'], 'application/json');
      if (attempts <= failFirst) {
        res.writeHead(500).end();
        return;
      }
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertPayload);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    get attempts() {
      return attempts;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const rule: BudgetRule = { name: 'team', scope: { kind: 'tag', tag: 'team', value: 'a' }, period: 'month', limitPico: usdToPico('10'), mode: 'soft', action: 'alert', demoteTo: null };

test('threshold alerts go out once each, retried after a failure, and not again after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-alerts-'));
  const hook = await receiver(1);
  const log: string[] = [];
  try {
    const config = parseAlerts({ thresholds: [50, 80, 100], webhook: { url: hook.url, retries: 2, backoff_ms: 5 } });
    const ledger = new BudgetLedger([rule]);
    let db = openStateDb(join(dir, 'm.db'));
    let center = new AlertCenter({ db, config, log: (l) => log.push(l) });
    ledger.addSpent({ keyHash: null, tags: { team: 'a' } }, usdToPico('8.5'), Date.now());
    center.checkBudgets(ledger.status());
    center.checkBudgets(ledger.status());
    await center.close();
    db.close();
    assert.deepEqual(hook.received.map((a) => a.threshold_percent).sort(), [50, 80]);
    assert.equal(hook.attempts, 3, 'one failed attempt, then one delivery per alert');
    assert.equal(log.filter((l) => l.startsWith('clawback alert: budget "team"')).length, 2);
    const a50 = hook.received.find((a) => a.threshold_percent === 50)!;
    assert.equal(a50.kind, 'budget_threshold');
    assert.equal(a50.budget!.name, 'team');
    assert.equal(a50.budget!.spent_usd, 8.5);
    assert.equal(a50.budget!.percent, 85);

    // restart: same database, same spend -> nothing new; crossing 100% -> exactly that one
    db = openStateDb(join(dir, 'm.db'));
    center = new AlertCenter({ db, config, log: (l) => log.push(l) });
    center.resumePending();
    center.checkBudgets(ledger.status());
    ledger.addSpent({ keyHash: null, tags: { team: 'a' } }, usdToPico('1.5'), Date.now());
    center.checkBudgets(ledger.status());
    center.checkBudgets(ledger.status());
    await center.close();
    assert.deepEqual(hook.received.map((a) => a.threshold_percent).sort(), [100, 50, 80]);
    const rows = center.recent();
    assert.deepEqual(rows.map((r) => r.status), ['delivered', 'delivered', 'delivered']);
    db.close();
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('webhook delivery is retried a bounded number of times, then marked failed and logged', async () => {
  const hook = await receiver(100);
  const log: string[] = [];
  const db = openStateDb(':memory:');
  try {
    const center = new AlertCenter({ db, config: parseAlerts({ webhook: { url: hook.url, retries: 3, backoff_ms: 1 } }), log: (l) => log.push(l) });
    center.raise({ id: 'x', kind: 'budget_threshold', message: 'm', at: new Date().toISOString() });
    await center.close();
    assert.equal(hook.attempts, 4);
    assert.equal(center.recent()[0]!.status, 'failed');
    assert.match(log.at(-1)!, /webhook delivery of x failed after 4 attempts: HTTP 500/);
  } finally {
    db.close();
    await hook.close();
  }
});

test('a spend rate far above its baseline raises one spike alert per episode', () => {
  const db = openStateDb(':memory:');
  const MIN = 60_000;
  let now = Date.UTC(2026, 10, 24, 12, 0);
  const raised: AlertPayload[] = [];
  const center = new AlertCenter({
    db,
    config: parseAlerts({ spike: { factor: 5, window_minutes: 5, baseline_minutes: 60, min_usd_per_hour: '1' } }),
    log: () => undefined,
    now: () => now,
    onRaised: (a) => raised.push(a),
  });
  // an hour of history at $0.01/minute ($0.60/h)
  center.seed(Array.from({ length: 65 }, (_, i) => ({ at: now - (65 - i) * MIN, pico: usdToPico('0.01') })), now - 66 * MIN);
  center.observeSpend(usdToPico('0.01'), now);
  assert.equal(raised.length, 0, 'a steady rate is no spike');
  now += MIN;
  center.observeSpend(usdToPico('0.5'), now); // 5 min window: ~$0.54 -> $6.5/h against a $0.60/h baseline
  assert.equal(raised.length, 1);
  assert.equal(raised[0]!.kind, 'spend_spike');
  assert.ok(raised[0]!.rate!.window_usd_per_hour > 5 * raised[0]!.rate!.baseline_usd_per_hour);
  center.observeSpend(usdToPico('0.5'), now);
  assert.equal(raised.length, 1, 'the same episode is not alerted twice');
  db.close();
});

test('through the gateway: crossing 50% of a budget delivers one alert to the webhook and shows it in the API', async () => {
  const hook = await receiver(0);
  const h = await startHarness({
    config: { budgets: [{ name: 'small', limit_usd: '0.004', period: 'day', mode: 'soft' }], alerts: { thresholds: [50], webhook: { url: hook.url, backoff_ms: 5 } } },
  });
  try {
    for (let i = 0; i < 12; i++) assert.equal((await h.send(userMessage(`question ${i} about my invoice`, 'claude-sonnet-4-6', 50), { 'x-clawback-tags': 'team=a' })).status, 200);
    await h.gw.drain();
    await h.gw.monitor.alerts.drain();
    const spent = (await h.gw.store.query({})).reduce((s, r) => s + r.costPico, 0n);
    assert.ok(spent * 2n >= usdToPico('0.004'), 'the workload did cross 50%');
    assert.equal(hook.received.length, 1);
    assert.equal(hook.received[0]!.id, `budget:small:${new Date().toISOString().slice(0, 10)}:50`);
    const api = (await (await fetch(`${h.gw.url}/clawback/api/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { alerts: { id: string; status: string }[] };
    assert.deepEqual(api.alerts.map((a) => [a.id, a.status]), [[hook.received[0]!.id, 'delivered']]);
  } finally {
    await h.close();
    await hook.close();
  }
});
