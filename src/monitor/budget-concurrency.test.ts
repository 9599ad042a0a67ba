/**
 * Fifty clients at once against a small budget, through the real gateway and the emulator: the budget holds.
 * Every reservation is checked the moment it is made (spent + in flight <= limit), and at the end the store's total
 * and the emulator's own bill are both within the limit. The store's total can never exceed the limit here, because
 * each reservation is a true ceiling of the request's cost (max_tokens output, cold cache) and the emulator bills
 * exactly the estimated input tokens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { picoToUsd, usdToPico } from '../pricing/money.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { estimateReservation } from './reserve-estimate.js';
import { startHarness, userMessage } from './testing.js';

const LIMIT = '0.05';

test('50 concurrent clients cannot push a hard budget past its limit', async () => {
  const h = await startHarness({
    config: { budgets: [{ name: 'tight', limit_usd: LIMIT, period: 'day' }] },
    emulator: { latency: { firstByteMs: 40, perTokenMs: 0 } },
  });
  try {
    const limit = usdToPico(LIMIT);
    const ledger = h.gw.monitor.ledger;
    let worst = 0n;
    let maxOpen = 0;
    const reserve = ledger.reserve.bind(ledger);
    ledger.reserve = (c, amount) => {
      const r = reserve(c, amount);
      const s = ledger.status()[0]!;
      if (s.spent + s.inFlight > worst) worst = s.spent + s.inFlight;
      maxOpen = Math.max(maxOpen, ledger.inFlightCount());
      return r;
    };
    const statuses: number[] = [];
    const refusals: string[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, client) => {
        for (let i = 0; i < 3; i++) {
          const r = await h.send(userMessage(`client ${client} asks question ${i}: what does my invoice say about shipping?`, 'claude-sonnet-4-6', 300));
          statuses.push(r.status);
          if (r.status === 429) refusals.push(String((r.json['error'] as { message: string }).message));
        }
      }),
    );
    await h.gw.drain();

    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok > 0, 'some requests fit in the budget');
    assert.equal(ok + refusals.length, 150, `every request was answered 200 or refused 429 (got ${[...new Set(statuses)].join(',')})`);
    assert.ok(refusals.length > 0, 'the budget ran out');
    assert.match(refusals[0]!, /budget "tight" \(all requests, per day\) would be exceeded/);
    assert.ok(maxOpen > 1, 'requests really were in flight together');
    assert.ok(worst <= limit, `spent + in flight reached ${worst} > limit ${limit}`);

    const records = await h.gw.store.query({});
    const storeTotal = records.reduce((s, r) => s + r.costPico, 0n);
    assert.ok(storeTotal <= limit, `store total ${storeTotal} > limit ${limit}`);
    assert.equal(h.emu.ledger.totalPico(), storeTotal, 'the store agrees with what the upstream billed');
    assert.ok(h.emu.ledger.totalPico() <= limit);
    assert.equal(records.filter((r) => r.outcome === 'rejected').length, refusals.length);
    const s = ledger.status()[0]!;
    assert.equal(s.inFlight, 0n, 'every reservation was settled');
    assert.equal(s.spent, storeTotal);
    await h.gw.monitor.alerts.drain();
    const alerts = h.gw.monitor.alerts.recent().filter((a) => a.kind === 'budget_refusing');
    assert.deepEqual(alerts.map((a) => a.id), [`refusing:tight:${s.periodKey}`], 'one "refusing" alert, however many refusals');
    const burn = ((await (await h.admin('/clawback/api/budgets')).json()) as { budgets: { burn: { remaining_usd: number }[] }[] }).budgets[0]!.burn;
    assert.equal(burn[0]!.remaining_usd, 0.05);
    assert.equal(burn.at(-1)!.remaining_usd, picoToUsd(limit - storeTotal), 'the burn-down ends at what remains');

    // Durable: a restarted gateway rebuilds the spend from the store and keeps enforcing it.
    const gw2 = await h.restart();
    assert.equal(gw2.monitor.ledger.status()[0]!.spent, storeTotal);
    const budgets = (await (await h.admin('/clawback/api/budgets')).json()) as { budgets: { name: string; spent_pico: string; limit_pico: string }[] };
    assert.equal(budgets.budgets[0]!.spent_pico, storeTotal.toString());
    const live = (await (await h.admin('/clawback/api/summary')).json()) as { totals: { cost_pico: string; requests: number } };
    assert.deepEqual([live.totals.cost_pico, live.totals.requests], [storeTotal.toString(), 150], 'the live summary is rebuilt from the store');
    const ranged = (await (await h.admin(`/clawback/api/summary?since=${records[0]!.startedAt}`)).json()) as { totals: { cost_pico: string } };
    assert.equal(ranged.totals.cost_pico, storeTotal.toString());
    assert.equal((await h.admin('/clawback/api/summary?since=yesterday-ish')).status, 400);
    const body = userMessage('one more question, please?', 'claude-sonnet-4-6', 300);
    const need = estimateReservation(getDefaultCatalog(), body).pico;
    const after = await h.send(body);
    assert.equal(after.status, storeTotal + need <= limit ? 200 : 429);
  } finally {
    await h.close();
  }
});

test('a reservation whose request dies is released, and what upstream billed still counts', async () => {
  const h = await startHarness({
    config: { budgets: [{ name: 'g', limit_usd: '1', period: 'total' }] },
    emulator: { latency: { firstByteMs: 0, perTokenMs: 20 } },
  });
  try {
    const ac = new AbortController();
    const res = await fetch(`${h.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...userMessage('Tell me a long story about invoices.', 'claude-sonnet-4-6', 2000), stream: true }),
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read(); // the stream started: the reservation is held
    assert.equal(h.gw.monitor.ledger.inFlightCount(), 1);
    ac.abort();
    await reader.cancel().catch(() => undefined);
    while (h.gw.monitor.ledger.inFlightCount() > 0) await new Promise((r) => setTimeout(r, 10));
    await h.gw.drain();
    const [rec] = await h.gw.store.query({});
    assert.equal(rec!.outcome, 'aborted');
    const s = h.gw.monitor.ledger.status()[0]!;
    assert.equal(s.inFlight, 0n);
    assert.equal(s.spent, rec!.costPico);
  } finally {
    await h.close();
  }
});
