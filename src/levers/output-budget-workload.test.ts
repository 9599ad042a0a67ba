// Gateway -> emulator with the output budget enforced and routing observing: answers end with a tail
// ("</answer>") and then ramble on until something stops them. Measured: truncations our caps caused, and the
// median max_tokens reserved against the median answer. Also: routing in observe mode changes no byte.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { createOutputBudgetLever, type OutputBudgetLever } from './output-budget.js';
import { median } from './output-budget-stats.js';
import { rng } from './cache-workloads.js';
import { createPlanner } from './planner.js';
import { createRoutingLever, type RoutingLever } from './routing.js';


/** Three kinds of traffic with their own answer lengths (log-normal-ish, rounded to 5 tokens). */
const ROUTES = [
  { name: 'faq', system: 'You answer questions about parcels. End your answer with </answer>.', centre: 120, spread: 0.35, max: 4096 },
  { name: 'summary', system: 'You summarise support tickets. End your answer with </answer>.', centre: 380, spread: 0.3, max: 4096 },
  { name: 'report', system: 'You write weekly account reports. End your answer with </answer>.', centre: 900, spread: 0.25, max: 8192 },
] as const;

function workload(n: number, seed: number): { route: (typeof ROUTES)[number]; length: number; i: number }[] {
  const r = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, (_, i) => {
    const route = ROUTES[i % ROUTES.length]!;
    const length = Math.max(5, Math.round((route.centre * Math.exp(route.spread * gauss())) / 5) * 5);
    return { route, length, i };
  });
}

describe('output budget on a rambling workload, gateway -> emulator', () => {
  const jobs = workload(600, 7);
  let emu: RunningEmulator;
  let gw: RunningGateway;
  let output: OutputBudgetLever;
  let routing: RoutingLever;

  before(async () => {
    const lengths = [...new Set(jobs.map((j) => j.length))];
    emu = await startEmulator({
      port: 0,
      scenarios: lengths.map((l) => ({ name: `len-${l}`, match: { user: `/\\blen=${l}\\b/` }, length: l, tail: '</answer>' })),
    });
    output = createOutputBudgetLever({ config: { mode: 'enforce', stop_sequences: ['</answer>'] } });
    routing = createRoutingLever({ config: { mode: 'observe' } });
    gw = await startGateway({ port: 0, upstream: emu.url, db: ':memory:', planner: createPlanner([routing, output]), settings: { retry: { maxRetries: 0, maxTotalMs: 0, baseMs: 0, capMs: 0 } } });
  });
  after(async () => {
    await gw.close();
    await emu.close();
  });

  it('caps cause under 0.5% truncations and reserve at most 3x the median answer', async (t) => {
    const one = async (j: (typeof jobs)[number]): Promise<void> => {
      const r = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-workload-1', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: j.route.max, system: j.route.system, messages: [{ role: 'user', content: `Request ${j.i}, len=${j.length}.` }] }),
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-clawback-model'), 'claude-sonnet-4-6', 'routing only observes');
      await r.arrayBuffer();
    };
    // A few clients at a time, as real traffic comes.
    for (let k = 0; k < jobs.length; k += 6) await Promise.all(jobs.slice(k, k + 6).map(one));
    await gw.drain();
    const recs = await gw.store.query({});
    assert.equal(recs.length, jobs.length);
    const reserved: number[] = [];
    const outputs: number[] = [];
    let byCap = 0;
    for (const rec of recs) {
      const d = rec.decisions.find((x) => x.lever === 'output');
      assert.ok(d, 'every request has an output decision');
      const cap = (d.detail?.['cap'] as number | null) ?? null;
      reserved.push(cap ?? rec.maxTokens!);
      outputs.push(rec.outputTokens);
      if (rec.stopReason === 'max_tokens' && cap !== null) byCap++;
      assert.notEqual(rec.stopReason === 'max_tokens' && cap === null, true, 'nothing rambles to the client limit: the stop sequence ends it');
    }
    const stats = output.stats();
    assert.equal(stats.truncatedByCap, byCap);
    const rate = byCap / recs.length;
    const medReserved = median(reserved)!;
    const medOutput = median(outputs)!;
    const capped = recs.filter((r) => (r.decisions.find((x) => x.lever === 'output')?.detail?.['cap'] ?? null) !== null).length;
    t.diagnostic(
      `rambling workload: ${recs.length} requests, ${capped} capped, ${byCap} truncated by our caps (${(100 * rate).toFixed(2)}%), ` +
        `median reserved max_tokens ${medReserved} vs median output ${medOutput} (${(medReserved / medOutput).toFixed(2)}x); ` +
        `per route p50/p99: ${Object.entries(stats.routes).map(([k, v]) => `${k.split('|')[0]} ${v.p50}/${v.p99}`).join(', ')}`,
    );
    assert.ok(rate < 0.005, `truncations caused by caps: ${byCap}/${recs.length}`);
    assert.ok(medReserved <= 3 * medOutput, `median reserved ${medReserved} vs median output ${medOutput}`);
    assert.ok(capped > recs.length / 2, 'the caps were in force for most of the workload');
  });

  it('routing in observe mode recorded a decision for every request and changed none', () => {
    const s = routing.stats();
    assert.equal(s.decided, jobs.length);
    assert.equal(s.applied, 0);
    for (const e of emu.ledger.entries()) assert.equal(e.model, 'claude-sonnet-4-6');
  });
});
