import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { Usage } from '../pricing/usage.js';
import { ManualClock } from './clock.js';
import { startEmulator, type RunningEmulator } from './server.js';

const MODEL = 'claude-sonnet-4-6';
const clock = new ManualClock();
let emu: RunningEmulator;
let client: Anthropic;

before(async () => {
  emu = await startEmulator({ env: {}, clock, batchProcessingMs: 10 * 60_000 });
  client = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
after(() => emu.close());

const req = (id: string, text: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}): Anthropic.Messages.Batches.BatchCreateParams.Request => ({
  custom_id: id,
  params: { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: text }], ...extra },
});

describe('message batches through the SDK', () => {
  test('create, retrieve while processing, then results after the processing time, billed at batch prices', async () => {
    emu.ledger.reset();
    const batch = await client.messages.batches.create({
      requests: [req('a', 'first question'), req('b', 'second question'), req('bad', 'x', { model: 'claude-nope' }), req('c', 'third', { max_tokens: 0 })],
    });
    assert.match(batch.id, /^msgbatch_/);
    assert.equal(batch.processing_status, 'in_progress');
    assert.equal(batch.request_counts.processing, 4);
    assert.equal(batch.results_url, null);

    clock.advance(5 * 60_000);
    assert.equal((await client.messages.batches.retrieve(batch.id)).processing_status, 'in_progress');
    clock.advance(5 * 60_000);
    const done = await client.messages.batches.retrieve(batch.id);
    assert.equal(done.processing_status, 'ended');
    assert.deepEqual(done.request_counts, { processing: 0, succeeded: 2, errored: 2, canceled: 0, expired: 0 });
    assert.equal(done.results_url, `${emu.url}/v1/messages/batches/${batch.id}/results`);

    const results = new Map<string, Anthropic.Messages.Batches.MessageBatchResult>();
    for await (const r of await client.messages.batches.results(batch.id)) results.set(r.custom_id, r.result);
    assert.deepEqual([...results.keys()].sort(), ['a', 'b', 'bad', 'c']);
    const a = results.get('a');
    assert.ok(a?.type === 'succeeded');
    assert.equal(a.message.usage.service_tier, 'batch');
    const bad = results.get('bad');
    assert.ok(bad?.type === 'errored');
    assert.equal(bad.error.error.type, 'not_found_error');
    assert.equal(results.get('c')?.type, 'errored', 'max_tokens 0 is not allowed inside batches');

    // only the two successes are billed, at batch prices (half the standard price)
    const entries = emu.ledger.entries();
    assert.deepEqual(entries.map((e) => e.customId).sort(), ['a', 'b']);
    for (const e of entries) {
      assert.equal(e.batchId, batch.id);
      assert.equal(e.costPico, priceUsage(getDefaultCatalog(), MODEL, e.usage).total);
      const standard = priceUsage(getDefaultCatalog(), MODEL, { ...(e.usage as Usage), service_tier: 'standard' }).total;
      assert.ok(e.costPico < standard);
    }
  });

  test('results are JSONL (application/x-jsonl), at the Host the request used', async () => {
    const b = await client.messages.batches.create({ requests: [req('only', 'hello')] });
    clock.advance(10 * 60_000);
    const viaLocalhost = emu.url.replace('127.0.0.1', 'localhost');
    const r = await fetch(`${viaLocalhost}/v1/messages/batches/${b.id}`, { headers: { 'x-api-key': 'k' } });
    const view = (await r.json()) as { results_url: string };
    assert.equal(view.results_url, `${viaLocalhost}/v1/messages/batches/${b.id}/results`);
    const res = await fetch(view.results_url, { headers: { 'x-api-key': 'k' } });
    assert.equal(res.headers.get('content-type'), 'application/x-jsonl');
    assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`${b.id}_results\\.jsonl`));
    const lines = (await res.text()).trim().split('\n');
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]!) as { custom_id: string }).custom_id, 'only');
  });

  test('cancel ends a batch with canceled requests that are not billed; delete only after it ended', async () => {
    emu.ledger.reset();
    const b = await client.messages.batches.create({ requests: [req('x', 'one'), req('y', 'two')] });
    await assert.rejects(client.messages.batches.delete(b.id), Anthropic.BadRequestError);
    const canceling = await client.messages.batches.cancel(b.id);
    assert.equal(canceling.processing_status, 'canceling');
    const ended = await client.messages.batches.retrieve(b.id);
    assert.equal(ended.processing_status, 'ended');
    assert.equal(ended.request_counts.canceled, 2);
    for await (const r of await client.messages.batches.results(b.id)) assert.equal(r.result.type, 'canceled');
    assert.equal(emu.ledger.entries().length, 0);
    const del = await client.messages.batches.delete(b.id);
    assert.deepEqual(del, { id: b.id, type: 'message_batch_deleted' });
    await assert.rejects(client.messages.batches.retrieve(b.id), Anthropic.NotFoundError);
  });

  test('a batch that outlives 24 hours expires unbilled', async () => {
    const slow = await startEmulator({ env: {}, clock, batchProcessingMs: 30 * 60 * 60_000 });
    try {
      const c = new Anthropic({ baseURL: slow.url, apiKey: 'sk-ant-test', maxRetries: 0 });
      const b = await c.messages.batches.create({ requests: [req('late', 'hello')] });
      clock.advance(24 * 60 * 60_000 + 1);
      const ended = await c.messages.batches.retrieve(b.id);
      assert.equal(ended.request_counts.expired, 1);
      assert.equal(slow.ledger.entries().length, 0);
    } finally {
      await slow.close();
    }
  });

  test('list is newest first and pages with has_more, first_id, last_id, after_id and before_id', async () => {
    const listing = await startEmulator({ env: {}, clock });
    try {
      const c = new Anthropic({ baseURL: listing.url, apiKey: 'sk-ant-test', maxRetries: 0 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await c.messages.batches.create({ requests: [req(`r${i}`, `q${i}`)] })).id);
      const newestFirst = [...ids].reverse();
      const page1 = await c.messages.batches.list({ limit: 2 });
      assert.deepEqual(page1.data.map((b) => b.id), newestFirst.slice(0, 2));
      assert.equal(page1.has_more, true);
      assert.equal(page1.last_id, newestFirst[1]);
      const all: string[] = [];
      for await (const b of c.messages.batches.list({ limit: 2 })) all.push(b.id);
      assert.deepEqual(all, newestFirst);
      const before = await c.messages.batches.list({ limit: 2, before_id: newestFirst[3]! });
      assert.deepEqual(before.data.map((b) => b.id), newestFirst.slice(1, 3));
    } finally {
      await listing.close();
    }
  });

  test('invalid batch requests are rejected at creation', async () => {
    await assert.rejects(client.messages.batches.create({ requests: [req('dup', 'a'), req('dup', 'b')] }), Anthropic.BadRequestError);
    await assert.rejects(client.messages.batches.create({ requests: [req('bad id!', 'a')] }), Anthropic.BadRequestError);
  });

  test('caching inside a batch is best-effort: later waves read what earlier ones wrote', async () => {
    const system = [{ type: 'text' as const, text: 'Shared instructions for every request. '.repeat(120), cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }];
    const requests = Array.from({ length: 12 }, (_, i) => req(`s${i}`, `question ${i}`, { system }));
    const b = await client.messages.batches.create({ requests });
    clock.advance(10 * 60_000);
    let reads = 0;
    let writes = 0;
    for await (const r of await client.messages.batches.results(b.id)) {
      assert.ok(r.result.type === 'succeeded');
      if ((r.result.message.usage.cache_read_input_tokens ?? 0) > 0) reads++;
      if ((r.result.message.usage.cache_creation_input_tokens ?? 0) > 0) writes++;
    }
    assert.equal(reads + writes, 12);
    assert.ok(writes >= 1 && reads >= 1, `reads ${reads}, writes ${writes}`);
  });
});
