// The official SDK through the gateway to the emulator: every route works, and what the gateway metered equals
// what the emulator billed (its ledger), to the pico-dollar, request by request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import type { UsageRecord } from '../store/record.js';
import { startGateway, type RunningGateway } from './server.js';

const MODEL = 'claude-sonnet-4-6';
let emu: RunningEmulator;
let gw: RunningGateway;
let client: Anthropic;

before(async () => {
  emu = await startEmulator({ port: 0 });
  gw = await startGateway({ port: 0, upstream: emu.url, db: ':memory:', settings: { retry: { maxRetries: 0, maxTotalMs: 0, baseMs: 0, capMs: 0 } } });
  client = new Anthropic({ apiKey: 'sk-ant-api03-gateway-test-7f3a', baseURL: gw.url, maxRetries: 0 });
});

after(async () => {
  await gw.close();
  await emu.close();
});

async function recordOf(requestId: string | null | undefined): Promise<UsageRecord> {
  await gw.drain();
  const recs = await gw.store.query({});
  const r = recs.find((x) => x.requestId === requestId);
  assert.ok(r, `no record for upstream request ${String(requestId)}`);
  return r;
}

function ledgerCost(requestId: string | null | undefined): bigint {
  const e = emu.ledger.entries().filter((x) => x.requestId === requestId);
  assert.equal(e.length, 1, `expected one ledger entry for ${String(requestId)}`);
  return e[0]!.costPico;
}

describe('gateway with the official SDK and the emulator', () => {
  it('meters a JSON create at exactly the ledger cost, with attribution and prefix fingerprints', async () => {
    const { data, response } = await client.messages
      .create(
        { model: MODEL, max_tokens: 200, metadata: { user_id: 'user-42' }, system: 'You are terse.', messages: [{ role: 'user', content: 'Hello there' }] },
        { headers: { 'x-clawback-tags': 'team=search,feature=faq', 'x-clawback-session': 'sess-1' } },
      )
      .withResponse();
    assert.equal(data.type, 'message');
    assert.equal(response.headers.get('x-clawback-model'), MODEL);
    const ours = response.headers.get('x-clawback-request-id');
    const upstreamId = response.headers.get('request-id');
    assert.ok(ours && upstreamId && ours !== upstreamId);
    const rec = await recordOf(upstreamId);
    assert.equal(rec.id, ours);
    assert.equal(rec.costPico, ledgerCost(upstreamId));
    assert.ok(rec.costPico > 0n);
    assert.equal(rec.baselinePico, rec.costPico);
    assert.deepEqual(rec.usage, data.usage);
    assert.equal(rec.outputTokens, data.usage.output_tokens);
    assert.equal(rec.messageId, data.id);
    assert.equal(rec.stream, false);
    assert.equal(rec.outcome, 'ok');
    assert.equal(rec.stopReason, data.stop_reason);
    assert.equal(rec.userId, 'user-42');
    assert.equal(rec.sessionId, 'sess-1');
    assert.deepEqual(rec.tags, { team: 'search', feature: 'faq' });
    assert.equal(rec.keyLast4, '7f3a');
    assert.match(rec.keyHash ?? '', /^[0-9a-f]{32}$/);
    assert.ok(!JSON.stringify(rec, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).includes('gateway-test-7f3a'), 'the key itself is never stored');
    assert.equal(rec.promptText, null);
    assert.equal(rec.prefix.length, 2, 'one fingerprint per block: system, then the user message');
    assert.ok(rec.prefix[1]!.t > rec.prefix[0]!.t);
    assert.ok(rec.startedAt <= (rec.firstByteAt ?? 0) && (rec.firstByteAt ?? 0) <= (rec.endedAt ?? 0));
  });

  it('meters a stream from the tapped events at exactly the ledger cost', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 300, messages: [{ role: 'user', content: 'Tell me a story about a fox.' }] });
    const msg = await stream.finalMessage();
    const upstreamId = stream.request_id;
    const rec = await recordOf(upstreamId);
    assert.equal(rec.stream, true);
    assert.equal(rec.costPico, ledgerCost(upstreamId));
    assert.equal(rec.outputTokens, msg.usage.output_tokens);
    assert.equal(rec.inputTokens, msg.usage.input_tokens);
    assert.equal(rec.messageId, msg.id);
    assert.equal(rec.stopReason, msg.stop_reason);
  });

  it('meters cache writes and reads (5m and 1h) exactly', async () => {
    const big = 'The quick brown fox jumps over the lazy dog. '.repeat(400);
    const body = {
      model: MODEL, max_tokens: 50,
      system: [{ type: 'text' as const, text: big, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }],
      messages: [{ role: 'user' as const, content: 'Summarise.' }],
    };
    const a = await client.messages.create(body).withResponse();
    const b = await client.messages.create(body).withResponse();
    assert.ok((a.data.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0) > 0, 'the first call writes the 1h cache');
    assert.ok((b.data.usage.cache_read_input_tokens ?? 0) > 0, 'the second reads it');
    for (const r of [a, b]) {
      const id = r.response.headers.get('request-id');
      const rec = await recordOf(id);
      assert.equal(rec.costPico, ledgerCost(id));
    }
    const rec = await recordOf(a.response.headers.get('request-id'));
    assert.equal(rec.cacheWrite1hTokens, a.data.usage.cache_creation?.ephemeral_1h_input_tokens);
    assert.equal(rec.prefix[0]!.bp, '1h');
  });

  it('passes countTokens and models through, recorded at no cost', async () => {
    const ct = await client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Count me please' }] });
    assert.ok(ct.input_tokens > 0);
    const models = await client.models.list();
    assert.ok(models.data.some((m) => m.id === MODEL));
    await gw.drain();
    const recs = await gw.store.query({ newestFirst: true, limit: 2 });
    assert.deepEqual(recs.map((r) => [r.endpoint, r.costPico]), [['models', 0n], ['count_tokens', 0n]]);
  });

  it('runs batches through the gateway: results_url points at it, results are metered once at the batch price', async () => {
    const batch = await client.messages.batches.create({
      requests: ['one', 'two', 'three'].map((w) => ({ custom_id: `req-${w}`, params: { model: MODEL, max_tokens: 40, messages: [{ role: 'user' as const, content: `Say ${w}` }] } })),
    });
    const list = await client.messages.batches.list();
    assert.ok(list.data.some((b) => b.id === batch.id));
    const got = await client.messages.batches.retrieve(batch.id);
    assert.equal(got.processing_status, 'ended');
    assert.ok(got.results_url?.startsWith(`${gw.url}/v1/messages/batches/`), `results_url ${String(got.results_url)} goes through the gateway`);
    const seen: string[] = [];
    for await (const r of await client.messages.batches.results(batch.id)) seen.push(r.custom_id);
    for await (const r of await client.messages.batches.results(batch.id)) seen.push(r.custom_id);
    assert.equal(seen.length, 6);
    await gw.drain();
    const recs = (await gw.store.query({})).filter((r) => r.source === 'batch' && r.batchId === batch.id);
    assert.equal(recs.length, 3, 'each succeeded result once, though fetched twice');
    const ledger = emu.ledger.entries().filter((e) => e.batchId === batch.id);
    assert.equal(ledger.length, 3);
    for (const e of ledger) {
      const rec = recs.find((r) => r.customId === e.customId);
      assert.ok(rec, `record for ${String(e.customId)}`);
      assert.equal(rec.costPico, e.costPico);
      assert.equal(rec.usage?.service_tier, 'batch');
    }
    const created = (await gw.store.query({})).find((r) => r.method === 'POST' && r.path === '/v1/messages/batches');
    assert.equal(created?.batchId, batch.id);
    const canceled = await client.messages.batches.cancel(batch.id);
    assert.equal(canceled.id, batch.id);
    const deleted = await client.messages.batches.delete(batch.id);
    assert.equal(deleted.id, batch.id);
  });

  it('answers each error class in the API shape, metered at the ledger cost (nothing billed)', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ 'x-emulator-fault': '429' }, 429, 'rate_limit_error'],
      [{ 'x-emulator-fault': '529' }, 529, 'overloaded_error'],
      [{ 'x-emulator-fault': '500' }, 500, 'api_error'],
    ];
    for (const [headers, status, type] of cases) {
      const err = await client.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { headers }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof Anthropic.APIError);
      assert.equal(err.status, status);
      assert.equal((err.error as { error?: { type?: string } }).error?.type, type);
      const rec = await recordOf(err.requestID);
      assert.equal(rec.status, status);
      assert.equal(rec.outcome, 'error');
      assert.equal(rec.errorType, type);
      assert.equal(rec.costPico, 0n);
      assert.equal(emu.ledger.entries().filter((e) => e.requestId === err.requestID).length, 0);
    }
    const bad = await client.messages.create({ model: 'claude-nonexistent-9', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(bad instanceof Anthropic.NotFoundError || bad instanceof Anthropic.BadRequestError);
    const unauth = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(unauth.status, 401);
    assert.equal(((await unauth.json()) as { error: { type: string } }).error.type, 'authentication_error');
  });

  it('meters a stream that fails mid-way as an error, at the ledger cost', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 300, messages: [{ role: 'user', content: 'fail please' }] }, { headers: { 'x-emulator-fault': 'mid-stream-error' } });
    await assert.rejects(stream.finalMessage());
    await gw.drain();
    const rec = (await gw.store.query({ newestFirst: true, limit: 1 }))[0]!;
    assert.equal(rec.stream, true);
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.errorType, 'overloaded_error');
    const billed = emu.ledger.entries().filter((e) => e.requestId === rec.requestId).reduce((s, e) => s + e.costPico, 0n);
    assert.equal(rec.costPico, billed);
    assert.ok((rec.usage?.input_tokens ?? 0) > 0, 'the usage seen before the error is kept');
  });

  it('keeps the key out of the store and the total metered equal to the total billed', async () => {
    await gw.drain();
    const recs = await gw.store.query({});
    const gatewayRecs = recs.filter((r) => r.source === 'gateway' && r.endpoint === 'messages' && r.outcome === 'ok');
    for (const r of gatewayRecs) assert.equal(r.costPico, ledgerCost(r.requestId));
  });
});
