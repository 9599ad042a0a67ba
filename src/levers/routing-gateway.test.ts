// Routing through the gateway to the emulator: enforce mode serves the chosen model, reports it in
// x-clawback-model and in metering, and its saving is metered per lever; a pinned client keeps its model.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
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
});
