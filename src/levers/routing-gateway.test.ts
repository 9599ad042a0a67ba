// Routing through the gateway to the emulator: enforce mode serves the chosen model, reports it in
// x-clawback-model and in metering, and its saving is metered per lever; a pinned client keeps its model.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { createOutputBudgetLever } from './output-budget.js';
import { createPlanner } from './planner.js';
import { createRoutingLever } from './routing.js';

const classify = {
  model: 'claude-sonnet-4-6',
  max_tokens: 50,
  system: 'Classify the sentiment of the review as positive, negative or neutral. Output only the label.',
  messages: [{ role: 'user', content: 'The zipper broke on day two.' }],
};

describe('routing lever through the gateway', () => {
  let emu: RunningEmulator;
  let gw: RunningGateway;
  before(async () => {
    emu = await startEmulator({ port: 0 });
    gw = await startGateway({
      port: 0, upstream: emu.url, db: ':memory:', planner: createPlanner([createRoutingLever({ config: { mode: 'enforce' } })]),
      settings: { retry: { maxRetries: 0, maxTotalMs: 0, baseMs: 0, capMs: 0 } },
    });
  });
  after(async () => {
    await gw.close();
    await emu.close();
  });

  const send = async (headers: Record<string, string> = {}): Promise<Response> => {
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-routing-gw', 'anthropic-version': '2023-06-01', ...headers },
      body: JSON.stringify(classify),
    });
    assert.equal(r.status, 200);
    return r;
  };

  it('enforce: the emulator serves Haiku, the gateway says so, and the saving is metered for routing', async () => {
    const r = await send();
    assert.equal(r.headers.get('x-clawback-model'), 'claude-haiku-4-5-20251001');
    const body = (await r.json()) as { model: string };
    assert.equal(body.model, 'claude-haiku-4-5-20251001');
    await gw.drain();
    const [rec] = await gw.store.query({ newestFirst: true, limit: 1 });
    assert.ok(rec);
    assert.equal(rec.requestedModel, 'claude-sonnet-4-6');
    assert.equal(rec.servedModel, 'claude-haiku-4-5-20251001');
    const billed = emu.ledger.entries().at(-1)!;
    assert.equal(billed.model, 'claude-haiku-4-5-20251001');
    assert.equal(rec.costPico, billed.costPico);
    assert.ok((rec.savingsPico.routing ?? 0n) > 0n);
    assert.equal(rec.baselinePico, rec.costPico + rec.savingsPico.routing!);
    // Same tokenizer family: the baseline is the same usage at Sonnet's prices, i.e. three times Haiku's.
    assert.equal(rec.baselinePico, rec.costPico * 3n);
  });

  it('a client pinned by the model-pin tag keeps its model', async () => {
    const r = await send({ 'x-clawback-tags': 'model-pin=1' });
    assert.equal(r.headers.get('x-clawback-model'), 'claude-sonnet-4-6');
    await r.arrayBuffer();
    assert.equal(emu.ledger.entries().at(-1)!.model, 'claude-sonnet-4-6');
  });

  it('a client pinned by the x-clawback-model-pin header keeps its model', async () => {
    const r = await send({ 'x-clawback-model-pin': '1' });
    assert.equal(r.headers.get('x-clawback-model'), 'claude-sonnet-4-6');
    await r.arrayBuffer();
    assert.equal(emu.ledger.entries().at(-1)!.model, 'claude-sonnet-4-6');
  });
});

/** A relay between the gateway and the emulator that keeps the exact bytes of every request body it forwards. */
async function startRelay(target: string): Promise<{ url: string; bodies: Buffer[]; close: () => Promise<void> }> {
  const bodies: Buffer[] = [];
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(body);
      const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('observe mode through the gateway', () => {
  it('routing and output budgets in observe mode change no byte of any request', async () => {
    const emu = await startEmulator({ port: 0 });
    const relay = await startRelay(emu.url);
    const routing = createRoutingLever();
    const output = createOutputBudgetLever({ config: { stop_sequences: ['</answer>'], min_samples: 2 } });
    const gw = await startGateway({
      port: 0, upstream: relay.url, db: ':memory:', planner: createPlanner([routing, output]),
      settings: { retry: { maxRetries: 0, maxTotalMs: 0, baseMs: 0, capMs: 0 } },
    });
    try {
      // Odd spacing, key order, escapes, unknown fields, and requests each lever would change in enforce mode.
      const raw = [
        '{"max_tokens":50,  "model":"claude-sonnet-4-6","system":"Classify the review as positive or negative. Output only the label.","messages":[{"role":"user","content":"Gr\\u00fc\u00dfe, it broke \\ud83d\\ude1e"}],"x_future":{"a":[1,2.50,null]}}',
        '{\n  "model": "claude-sonnet-4-6",\n  "max_tokens": 4096,\n  "messages": [{"role": "user", "content": "Prove rigorously that sqrt(2) is irrational."}]\n}',
        ...Array.from({ length: 4 }, (_, i) => `{"model":"claude-opus-4-7","max_tokens":8000,"stream":true,"messages":[{"role":"user","content":"Write a limerick number ${i}."}]}`),
      ];
      for (const body of raw) {
        const r = await fetch(`${gw.url}/v1/messages`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-observe', 'anthropic-version': '2023-06-01' }, body,
        });
        assert.equal(r.status, 200);
        await r.arrayBuffer();
      }
      await gw.drain();
      assert.deepEqual(relay.bodies.map((b) => b.toString('utf8')), raw);
      assert.equal(routing.stats().wouldChange, 6, 'routing would have moved every one of them');
      assert.ok(output.stats().requests === 6);
      const recs = await gw.store.query({});
      assert.ok(recs.every((r) => r.decisions.some((d) => d.lever === 'routing' && !d.applied)));
      assert.ok(recs.every((r) => Object.keys(r.savingsPico).length === 0 && r.baselinePico === r.costPico));
    } finally {
      await gw.close();
      await relay.close();
      await emu.close();
    }
  });
});
