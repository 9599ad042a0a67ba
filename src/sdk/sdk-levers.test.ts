// The levers act in-process exactly as through the gateway: the same conversation through the gateway and through
// the SDK wrapper (each against its own emulator, on the same manual clock) is planned, billed and attributed the
// same, turn by turn. And `x-clawback-optimize: off` sends the caller's bytes unchanged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { ManualClock } from '../emulator/clock.js';
import { startEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import { createDefaultPlanner } from '../levers/defaults.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { UsageRecord } from '../store/record.js';
import { withClawback } from './index.js';

const MODEL = 'claude-sonnet-4-6';
const KEY = 'sk-ant-api03-same-levers-41d0';
const SYSTEM = Array.from({ length: 120 }, (_, i) => `Support policy ${i + 1}: refunds within ${i + 10} days need order number ${1000 + i}.`).join('\n');
const QUESTIONS = ['Can I get a refund after 12 days?', 'And after 40 days?', 'What do I need to send?', 'Thanks. Anything else?'];

/**
 * Drives the conversation with `client`, one turn every 30 s on `clock`; returns the request ids in order. After each
 * turn, `settled` waits until the turn is metered (the gateway settles with the levers only after computing the
 * prefix fingerprints, off the response's path; the wrapper settles before the caller sees the end of the body).
 */
async function converse(client: Anthropic, clock: ManualClock, settled: () => Promise<void>): Promise<string[]> {
  const start = clock.now();
  const messages: MessageParam[] = [];
  const ids: string[] = [];
  for (const [i, q] of QUESTIONS.entries()) {
    clock.set(start + i * 30_000);
    messages.push({ role: 'user', content: q });
    const { data, response } = await client.messages.create({ model: MODEL, max_tokens: 64, system: SYSTEM, messages }).withResponse();
    messages.push({ role: 'assistant', content: data.content });
    ids.push(response.headers.get('request-id') ?? '');
    await settled();
  }
  return ids;
}

const inOrder = (recs: UsageRecord[], ids: readonly string[]): UsageRecord[] => ids.map((id) => {
  const r = recs.find((x) => x.requestId === id);
  assert.ok(r, `no record for ${id}`);
  return r;
});

async function throughGateway(): Promise<{ recs: UsageRecord[]; billed: bigint[] }> {
  const clock = new ManualClock();
  const emu = await startEmulator({ port: 0, clock, scenarios: [{ match: {}, text: 'Per the policy, yes.' }] });
  const store = openSqliteStore(':memory:', { flushOnExit: false });
  const gw = await startGateway({ port: 0, upstream: emu.url, store, planner: createDefaultPlanner({}, { now: () => clock.now() }) });
  try {
    const ids = await converse(new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 }), clock, () => gw.drain());
    await gw.drain();
    return { recs: inOrder(await store.query({}), ids), billed: ids.map((id) => emu.ledger.entries().find((e) => e.requestId === id)!.costPico) };
  } finally {
    await gw.close();
    await store.close();
    await emu.close();
  }
}

async function throughWrapper(): Promise<{ recs: UsageRecord[]; billed: bigint[] }> {
  const clock = new ManualClock();
  const emu = await startEmulator({ port: 0, clock, scenarios: [{ match: {}, text: 'Per the policy, yes.' }] });
  const client = withClawback(new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 }), {
    db: ':memory:', planner: createDefaultPlanner({}, { now: () => clock.now() }),
  });
  try {
    // no wait: the wrapper has settled each turn before the caller could send the next one
    const ids = await converse(client, clock, () => Promise.resolve());
    await client.clawback.flush();
    return { recs: inOrder(await client.clawback.store.query({}), ids), billed: ids.map((id) => emu.ledger.entries().find((e) => e.requestId === id)!.costPico) };
  } finally {
    await client.clawback.close();
    await emu.close();
  }
}

describe('levers in-process', () => {
  it('the caching lever plans, bills and attributes a conversation exactly as through the gateway', async () => {
    const gw = await throughGateway();
    const sdk = await throughWrapper();
    assert.equal(sdk.recs.length, QUESTIONS.length);
    for (const [i, s] of sdk.recs.entries()) {
      const g = gw.recs[i]!;
      assert.equal(s.source, 'sdk');
      assert.equal(g.source, 'gateway');
      assert.deepEqual(s.usage, g.usage, `turn ${i + 1}: same usage`);
      assert.equal(s.costPico, g.costPico, `turn ${i + 1}: same cost`);
      assert.equal(s.costPico, sdk.billed[i], `turn ${i + 1}: the wrapper's cost is what the emulator billed`);
      assert.equal(g.costPico, gw.billed[i]);
      assert.equal(s.baselinePico, g.baselinePico, `turn ${i + 1}: same baseline`);
      assert.deepEqual(s.savingsPico, g.savingsPico, `turn ${i + 1}: same savings`);
      assert.deepEqual(s.decisions, g.decisions, `turn ${i + 1}: same lever decisions`);
      assert.deepEqual(s.prefix, g.prefix, `turn ${i + 1}: same prefix fingerprints`);
    }
    // ... and the lever did act: the system prompt is written once and read on every later turn, which saves money.
    assert.ok(sdk.recs[0]!.cacheWrite5mTokens + sdk.recs[0]!.cacheWrite1hTokens > 0, 'turn 1 writes the cache');
    for (const r of sdk.recs.slice(1)) assert.ok(r.cacheReadTokens > 0, 'later turns read it');
    const saved = sdk.recs.reduce((s, r) => s + (r.savingsPico.caching ?? 0n), 0n);
    assert.ok(saved > 0n, `caching saved ${saved}`);
    assert.ok(sdk.recs.some((r) => r.decisions.some((d) => d.lever === 'caching' && d.applied)));
  });

  it('`x-clawback-optimize: off` (or optimize: false) sends the caller\'s bytes unchanged; by default the lever rewrites them', async () => {
    const emu = await startEmulator({ port: 0 });
    const wire: { body: string; headers: Headers }[] = [];
    const fetch = (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      wire.push({ body: String(init?.body), headers: new Headers(init?.headers) });
      return globalThis.fetch(url, init);
    };
    const opts = { apiKey: KEY, baseURL: emu.url, maxRetries: 0, fetch };
    const params = { model: MODEL, max_tokens: 32, system: SYSTEM, messages: [{ role: 'user' as const, content: 'Is a refund after 12 days possible?' }] };
    const plain = new Anthropic(opts);
    const wrapped = withClawback(new Anthropic(opts), { db: ':memory:' });
    const never = withClawback(new Anthropic(opts), { db: ':memory:', optimize: false });
    try {
      await plain.messages.create(params);
      await wrapped.messages.create(params, { headers: { 'x-clawback-optimize': 'off', 'x-clawback-tags': 'team=a' } });
      await never.messages.create(params);
      await wrapped.messages.create(params);
      assert.equal(wire.length, 4);
      const [sent, off, disabled, optimized] = wire as [typeof wire[0], typeof wire[0], typeof wire[0], typeof wire[0]];
      assert.equal(off.body, sent.body, 'optimize off: byte-identical body');
      assert.equal(disabled.body, sent.body, 'optimize: false: byte-identical body');
      assert.notEqual(optimized.body, sent.body, 'by default the caching lever placed breakpoints');
      assert.match(optimized.body, /"cache_control"/);
      assert.doesNotMatch(sent.body, /"cache_control"/);
      for (const w of wire) assert.deepEqual([...w.headers.keys()].filter((k) => k.startsWith('x-clawback-')), [], 'clawback headers are stripped');
      await wrapped.clawback.flush();
      const recs = await wrapped.clawback.store.query({});
      assert.equal(recs.length, 2);
      const offRec = recs.find((r) => r.tags['team'] === 'a');
      assert.ok(offRec);
      assert.deepEqual(offRec.decisions, [], 'no lever ran on the request sent with optimize off');
    } finally {
      await wrapped.clawback.close();
      await never.clawback.close();
      await emu.close();
    }
  });
});
