// The official SDK wrapped by clawback, in-process, against the emulator: every kind of request is metered into a
// real SQLite store at exactly what the emulator billed (its ledger), request by request, and metering never breaks
// the caller's request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { UsageRecord, UsageStore } from '../store/record.js';
import { withClawback, type ClawbackClient } from './index.js';

const MODEL = 'claude-sonnet-4-6';
const KEY = 'sk-ant-api03-sdk-wrapper-test-9c2e';
let emu: RunningEmulator;
let dir: string;
let client: ClawbackClient<Anthropic>;

before(async () => {
  emu = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'clawback-sdk-'));
  client = withClawback(new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 }), {
    db: join(dir, 'usage.db'), tags: { team: 'search' }, session: 'sess-default',
  });
});

after(async () => {
  await client.clawback.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

async function recordOf(requestId: string | null | undefined): Promise<UsageRecord> {
  await client.clawback.flush();
  const recs = await client.clawback.store.query({});
  const r = recs.filter((x) => x.requestId === requestId && x.source === 'sdk');
  assert.equal(r.length, 1, `expected one record for upstream request ${String(requestId)}`);
  return r[0]!;
}

function ledgerCost(requestId: string | null | undefined): bigint {
  const e = emu.ledger.entries().filter((x) => x.requestId === requestId);
  assert.equal(e.length, 1, `expected one ledger entry for ${String(requestId)}`);
  return e[0]!.costPico;
}

describe('withClawback around the official SDK', () => {
  it('returns a client of the same class, keeping the caller\'s options, and leaves the original untouched', () => {
    const plain = new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 3, timeout: 12_345 });
    const wrapped = withClawback(plain, { db: ':memory:' });
    assert.ok(wrapped instanceof Anthropic);
    assert.equal(wrapped.baseURL, plain.baseURL);
    assert.equal(wrapped.maxRetries, 3);
    assert.equal(wrapped.timeout, 12_345);
    assert.equal(wrapped.apiKey, KEY);
    assert.equal(plain.middleware.length, 0, 'the original client gets no middleware');
    assert.equal(wrapped.middleware.length, 1);
    assert.throws(() => withClawback(plain, { optimize: 'yes' } as never), /invalid option "optimize"/);
    assert.throws(() => withClawback(wrapped, { db: ':memory:' }), /already goes through clawback/, 'wrapping twice would meter twice');
    return wrapped.clawback.close();
  });

  it('meters a JSON create at exactly the ledger cost, with attribution and prefix fingerprints', async () => {
    const { data, response } = await client.messages
      .create(
        { model: MODEL, max_tokens: 200, metadata: { user_id: 'user-7' }, system: 'You are terse.', messages: [{ role: 'user', content: 'Hello from the wrapper' }] },
        { headers: { 'x-clawback-tags': 'feature=faq', 'x-clawback-session': 'sess-9' } },
      )
      .withResponse();
    const upstreamId = response.headers.get('request-id');
    const rec = await recordOf(upstreamId);
    assert.equal(rec.source, 'sdk');
    assert.equal(rec.id, response.headers.get('x-clawback-request-id'));
    assert.equal(rec.costPico, ledgerCost(upstreamId));
    assert.ok(rec.costPico > 0n);
    assert.equal(rec.baselinePico, rec.costPico, 'a small prompt: no lever acted');
    assert.deepEqual(rec.usage, data.usage);
    assert.equal(rec.messageId, data.id);
    assert.equal(rec.stopReason, data.stop_reason);
    assert.equal(rec.outcome, 'ok');
    assert.equal(rec.stream, false);
    assert.equal(rec.userId, 'user-7');
    assert.equal(rec.sessionId, 'sess-9', 'the request header wins over the wrapper option');
    assert.deepEqual(rec.tags, { team: 'search', feature: 'faq' }, 'request tags add to the wrapper tags');
    assert.equal(rec.keyLast4, '9c2e');
    assert.match(rec.keyHash ?? '', /^[0-9a-f]{32}$/);
    assert.equal(rec.prefix.length, 2, 'system, then the user message');
    assert.ok(rec.startedAt <= (rec.firstByteAt ?? 0) && (rec.firstByteAt ?? 0) <= (rec.endedAt ?? 0));
  });

  it('meters messages.stream() + finalMessage() from the tapped events at exactly the ledger cost', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 300, messages: [{ role: 'user', content: 'Tell me a story about an otter.' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const msg = await stream.finalMessage();
    assert.ok(text.length > 0 && msg.content.length > 0, 'the caller\'s stream works unchanged');
    const rec = await recordOf(stream.request_id);
    assert.equal(rec.stream, true);
    assert.equal(rec.outcome, 'ok');
    assert.equal(rec.costPico, ledgerCost(stream.request_id));
    assert.equal(rec.outputTokens, msg.usage.output_tokens);
    assert.equal(rec.messageId, msg.id);
    assert.equal(rec.sessionId, 'sess-default');
  });

  it('meters a raw `stream: true` create read event by event', async () => {
    const { data: stream, response } = await client.messages
      .create({ model: MODEL, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Count to five.' }] })
      .withResponse();
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    const rec = await recordOf(response.headers.get('request-id'));
    assert.equal(rec.costPico, ledgerCost(response.headers.get('request-id')));
    assert.equal(rec.stream, true);
  });

  it('passes countTokens and models through and records them at no cost (the API does not bill them)', async () => {
    const { data, response } = await client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Count me, please' }] }).withResponse();
    assert.ok(data.input_tokens > 0);
    const rec = await recordOf(response.headers.get('request-id'));
    assert.equal(rec.endpoint, 'count_tokens');
    assert.equal(rec.costPico, 0n);
    assert.equal(emu.ledger.entries().filter((e) => e.requestId === rec.requestId).length, 0);
    const { data: models, response: mr } = await client.models.list().withResponse();
    assert.ok(models.data.some((m) => m.id === MODEL));
    const mrec = await recordOf(mr.headers.get('request-id'));
    assert.deepEqual([mrec.endpoint, mrec.method, mrec.status, mrec.costPico], ['models', 'GET', 200, 0n]);
  });

  it('records an error answer (unknown model: 404) as an error at no cost, and the caller gets the SDK\'s error', async () => {
    const before = emu.ledger.entries().length;
    const err = await client.messages.create({ model: 'claude-nonexistent-9', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    assert.ok(err instanceof Anthropic.NotFoundError, String(err));
    const rec = await recordOf(err.requestID);
    assert.equal(rec.status, 404);
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.errorType, 'not_found_error');
    assert.equal(rec.costPico, 0n);
    assert.equal(emu.ledger.entries().length, before, 'nothing billed');
  });

  it('meters an aborted stream at what the emulator billed for it (input side as shown, output estimated)', async () => {
    // 300 ms between deltas: the abort reaches the emulator before it writes the next one, even on a loaded machine.
    const slow = await startEmulator({ port: 0, latency: { perTokenMs: 50 }, scenarios: [{ match: {}, text: 'word '.repeat(60) }] });
    const c = withClawback(new Anthropic({ apiKey: KEY, baseURL: slow.url, maxRetries: 0 }), { db: join(dir, 'aborted.db') });
    try {
      const stream = c.messages.stream({ model: MODEL, max_tokens: 2000, messages: [{ role: 'user', content: 'Write a lot' }] });
      for await (const ev of stream) if (ev.type === 'content_block_delta') break; // leaving the loop aborts the request
      await c.clawback.flush();
      const [rec, ...rest] = await c.clawback.store.query({});
      assert.equal(rest.length, 0);
      assert.equal(rec!.outcome, 'aborted');
      // The emulator bills when it sees the connection close, which may come after the wrapper recorded.
      for (let i = 0; i < 1000 && slow.ledger.entries().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      const billed = slow.ledger.entries();
      assert.equal(billed.length, 1);
      assert.equal(rec!.requestId, billed[0]!.requestId);
      assert.equal(rec!.usage?.input_tokens, billed[0]!.usage.input_tokens);
      assert.equal(rec!.usage?.output_tokens, billed[0]!.usage.output_tokens, 'the output of the deltas received');
      assert.equal(rec!.costPico, priceUsage(getDefaultCatalog(), MODEL, rec!.usage!).total);
      assert.equal(rec!.costPico, billed[0]!.costPico);
    } finally {
      await c.clawback.close();
      await slow.close();
    }
  });

  it('records leaving a raw stream early as aborted, and a stream that ends in an error event as an unbilled error', async () => {
    const slow = await startEmulator({ port: 0, latency: { perTokenMs: 20 }, scenarios: [{ match: {}, text: 'word '.repeat(60) }] });
    const c = withClawback(new Anthropic({ apiKey: KEY, baseURL: slow.url, maxRetries: 0 }), { db: ':memory:' });
    try {
      const stream = await c.messages.create({ model: MODEL, max_tokens: 2000, stream: true, messages: [{ role: 'user', content: 'Write a lot' }] });
      for await (const ev of stream) if (ev.type === 'content_block_delta') break;
      const failing = c.messages.stream({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] }, { headers: { 'x-emulator-fault': 'mid-stream-error' } });
      await assert.rejects(failing.finalMessage(), /Overloaded/);
      await c.clawback.flush();
      const recs = await c.clawback.store.query({});
      for (let i = 0; i < 1000 && slow.ledger.entries().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      const aborted = recs.find((r) => r.requestId === slow.ledger.entries()[0]?.requestId);
      assert.equal(aborted?.outcome, 'aborted');
      const failed = recs.find((r) => r !== aborted);
      assert.equal(failed?.outcome, 'error');
      assert.equal(failed?.errorType, 'overloaded_error');
      assert.equal(failed?.costPico, 0n);
      assert.equal(slow.ledger.entries().length, 1, 'the failed stream was not billed');
    } finally {
      await c.clawback.close();
      await slow.close();
    }
  });

  it('meters each attempt of an SDK retry as its own request: the 529 at no cost, the retry at the ledger cost', async () => {
    const flaky = await startEmulator({ port: 0, faults: '529@1' });
    const c = withClawback(new Anthropic({ apiKey: KEY, baseURL: flaky.url, maxRetries: 1 }), { db: ':memory:' });
    try {
      const { response } = await c.messages.create({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'Retry me' }] }).withResponse();
      await c.clawback.flush();
      const recs = (await c.clawback.store.query({})).sort((x, y) => x.retries - y.retries);
      assert.deepEqual(recs.map((r) => [r.status, r.outcome, r.retries]), [[529, 'error', 0], [200, 'ok', 1]]);
      assert.equal(recs[0]!.errorType, 'overloaded_error');
      assert.equal(recs[0]!.costPico, 0n);
      assert.equal(recs[1]!.requestId, response.headers.get('request-id'));
      assert.equal(recs[1]!.costPico, flaky.ledger.totalPico());
    } finally {
      await c.clawback.close();
      await flaky.close();
    }
  });

  it('meters batch results once each, at the batch price the ledger billed', async () => {
    const batch = await client.messages.batches.create({
      requests: ['a', 'b'].map((id) => ({ custom_id: id, params: { model: MODEL, max_tokens: 50, messages: [{ role: 'user' as const, content: `Batch question ${id}` }] } })),
    });
    let done = await client.messages.batches.retrieve(batch.id);
    for (let i = 0; i < 50 && done.processing_status !== 'ended'; i++) done = await client.messages.batches.retrieve(batch.id);
    const seen: string[] = [];
    for await (const r of await client.messages.batches.results(batch.id)) seen.push(r.custom_id);
    assert.deepEqual(seen.sort(), ['a', 'b']);
    await client.clawback.flush();
    const created = (await client.clawback.store.query({})).filter((r) => r.endpoint === 'batches' && r.method === 'POST');
    assert.deepEqual(created.map((r) => [r.batchId, r.costPico]), [[batch.id, 0n]], 'the create is recorded with its batch id, at no cost');
    const recs = (await client.clawback.store.query({})).filter((r) => r.source === 'batch' && r.batchId === batch.id);
    assert.equal(recs.length, 2);
    for (const r of recs) {
      const billed = emu.ledger.entries().filter((e) => e.batchId === batch.id && e.customId === r.customId);
      assert.equal(billed.length, 1);
      assert.equal(r.costPico, billed[0]!.costPico);
    }
  });

  it('never breaks the caller\'s request when the store fails', async () => {
    const broken: UsageStore = {
      append() {
        throw new Error('disk full');
      },
      flush: () => Promise.reject(new Error('disk full')),
      query: () => Promise.resolve([]),
      close: () => Promise.resolve(),
    };
    const c = withClawback(new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 }), { db: broken });
    const msg = await c.messages.create({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'Still answered?' }] });
    assert.equal(msg.type, 'message');
    const s = c.messages.stream({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'Streamed too?' }] });
    assert.equal((await s.finalMessage()).type, 'message');
    await assert.rejects(c.clawback.flush(), /disk full/, 'flush reports the failure to whoever asks for it');
  });

  it('shares one SQLite file with other readers: the records are on disk after flush', async () => {
    await client.clawback.flush();
    const reader = openSqliteStore(join(dir, 'usage.db'), { flushOnExit: false });
    try {
      const recs = await reader.query({});
      assert.ok(recs.filter((r) => r.source === 'sdk').length >= 5);
    } finally {
      await reader.close();
    }
  });
});
