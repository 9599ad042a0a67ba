// Aborted streams metered exactly: the emulator paces its deltas and bills a stream its client left for the output
// it had written; the gateway and the SDK wrapper estimate that output from what they received, by the same rule
// (wire/output-estimate.ts). A client that stops after N deltas is metered at the ledger's cost, to the pico-dollar.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import type { LedgerEntry } from '../emulator/ledger.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { withClawback } from '../sdk/index.js';
import type { UsageRecord } from '../store/record.js';
import { SseParser } from '../wire/sse.js';
import { OUTPUT_ESTIMATED } from './aborted-stream.js';

const MODEL = 'claude-sonnet-4-6';
// 40 ms per token, 6 tokens per delta: 240 ms between deltas, ample for the abort to reach the emulator in between
// (the design: what was billed is what was written before the close; paced, that is what the meter received).
const PACED = { perTokenMs: 40 };
const TEXT = 'word '.repeat(60); // 300 characters: 13 text deltas of up to 24 characters
const open: { close(): Promise<void> }[] = [];
after(async () => {
  for (const c of open.reverse()) await c.close();
});

async function emulator(scenario: Record<string, unknown>): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, latency: PACED, scenarios: [{ match: {}, ...scenario }] });
  open.push(emu);
  return emu;
}

async function gateway(emu: RunningEmulator): Promise<RunningGateway> {
  const gw = await startGateway({ port: 0, upstream: emu.url, db: ':memory:' });
  open.push(gw);
  return gw;
}

/** Waits (bounded) for something that happens after the response ended, e.g. the emulator seeing the close. */
async function eventually<T>(what: string, get: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const billedFor = (emu: RunningEmulator, requestId: string | null): Promise<LedgerEntry> =>
  eventually('the ledger entry', () => emu.ledger.entries().find((e) => e.requestId === requestId));

/** Posts a streamed request and leaves after `n` content_block_delta events; returns the events read. */
async function streamAndLeave(url: string, body: Record<string, unknown>, n: number): Promise<{ deltas: Record<string, unknown>[]; requestId: string }> {
  const res = await request(`${url}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': 'sk-test', 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, max_tokens: 2000, stream: true, ...body }),
  });
  assert.equal(res.statusCode, 200);
  const deltas: Record<string, unknown>[] = [];
  const parser = new SseParser((e) => {
    if (e.event === 'content_block_delta') deltas.push((JSON.parse(e.data) as { delta: Record<string, unknown> }).delta);
  });
  for await (const c of res.body) {
    parser.push(c as Buffer);
    if (deltas.length >= n) break; // leaving the loop destroys the body: the connection closes
  }
  return { deltas, requestId: String(res.headers['request-id']) };
}

function assertMeteredAsBilled(rec: UsageRecord, billed: LedgerEntry): void {
  assert.equal(rec.outcome, 'aborted');
  assert.equal(rec.usage?.output_tokens, billed.usage.output_tokens, 'the estimated output is what the emulator billed');
  assert.equal(rec.usage?.input_tokens, billed.usage.input_tokens);
  assert.equal(rec.costPico, billed.costPico, 'metered cost equals the ledger to the pico-dollar');
  assert.equal((rec.usage as Record<string, unknown> | null)?.[OUTPUT_ESTIMATED], true, 'marked as an estimate');
}

describe('aborted streams', () => {
  it('the emulator bills a stream its client left for the deltas it had written, not the whole answer', async () => {
    const emu = await emulator({ text: TEXT });
    const unpaced = await startEmulator({ port: 0, scenarios: [{ match: {}, text: TEXT }] });
    open.push(unpaced);
    const full = await request(`${unpaced.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': 'sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 2000, messages: [{ role: 'user', content: 'Write a lot' }] }),
    });
    const whole = (await full.body.json()) as { usage: { output_tokens: number } };
    const { deltas, requestId } = await streamAndLeave(emu.url, { messages: [{ role: 'user', content: 'Write a lot' }] }, 3);
    const billed = await billedFor(emu, requestId);
    const text = deltas.map((d) => String(d['text'])).join('');
    assert.equal(text, TEXT.slice(0, 72), 'three deltas of 24 characters');
    // 72 characters at 3.5 characters per token (tokens.ts, Sonnet 4.6's tokenizer): 21 tokens.
    assert.equal(billed.usage.output_tokens, 21);
    assert.ok(whole.usage.output_tokens > 21, `the whole answer is ${whole.usage.output_tokens} tokens`);
  });

  it('the gateway meters a text stream its client left after 3 deltas at the ledger cost', async () => {
    const emu = await emulator({ text: TEXT });
    const gw = await gateway(emu);
    const { requestId } = await streamAndLeave(gw.url, { messages: [{ role: 'user', content: 'Write a lot' }] }, 3);
    const billed = await billedFor(emu, requestId);
    const rec = await eventually('the record', async () => {
      await gw.drain();
      return (await gw.store.query({})).find((r) => r.requestId === requestId);
    });
    assertMeteredAsBilled(rec, billed);
    assert.equal(rec.outputTokens, 21);
  });

  it('the gateway meters a tool call cut mid-JSON at the ledger cost (name, partial input and framing)', async () => {
    const input = { city: 'Paris', units: 'metric', days: 5, details: ['wind', 'humidity', 'pressure'] };
    const emu = await emulator({ tool_calls: [{ name: 'get_weather', input }] });
    const gw = await gateway(emu);
    const { deltas, requestId } = await streamAndLeave(gw.url, { messages: [{ role: 'user', content: 'Weather?' }] }, 2);
    assert.ok(deltas.every((d) => d['type'] === 'input_json_delta'));
    const billed = await billedFor(emu, requestId);
    const rec = await eventually('the record', async () => {
      await gw.drain();
      return (await gw.store.query({})).find((r) => r.requestId === requestId);
    });
    assertMeteredAsBilled(rec, billed);
    const json = deltas.map((d) => String(d['partial_json'])).join('');
    assert.ok(json.length < JSON.stringify(input).length, 'the input was cut');
    // name + partial JSON at 3.5 characters per token, plus 3 framing tokens.
    assert.equal(rec.outputTokens, Math.ceil((('get_weather'.length + json.length) * 10) / 35) + 3);
  });

  it('the SDK wrapper meters a thinking + text stream its caller left at the ledger cost', async () => {
    const emu = await emulator({ text: TEXT, thinking_tokens: 60 });
    const c = withClawback(new Anthropic({ apiKey: 'sk-test', baseURL: emu.url, maxRetries: 0 }), { db: ':memory:' });
    open.push({ close: () => c.clawback.close() });
    const stream = c.messages.stream({
      model: MODEL, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Think, then write' }],
    });
    const kinds: string[] = [];
    for await (const ev of stream) {
      if (ev.type !== 'content_block_delta') continue;
      kinds.push(ev.delta.type);
      if (ev.delta.type === 'text_delta' && kinds.filter((k) => k === 'text_delta').length === 2) break; // aborts the request
    }
    assert.ok(kinds.includes('thinking_delta') && kinds.includes('signature_delta'));
    const requestId = stream.request_id ?? null;
    const billed = await billedFor(emu, requestId);
    const rec = await eventually('the record', async () => {
      await c.clawback.flush();
      return (await c.clawback.store.query({})).find((r) => r.requestId === requestId);
    });
    assertMeteredAsBilled(rec, billed);
    // 60 thinking tokens (all sent) and two 24-character text deltas (14 tokens).
    assert.equal(rec.outputTokens, 60 + 14);
  });

  it('the SDK wrapper counts what it had received but its caller had not read yet (a slow reader of a raw stream)', async () => {
    const emu = await emulator({ text: TEXT });
    const c = withClawback(new Anthropic({ apiKey: 'sk-test', baseURL: emu.url, maxRetries: 0 }), { db: ':memory:' });
    open.push({ close: () => c.clawback.close() });
    const { data: stream, request_id: requestId } = await c.messages
      .create({ model: MODEL, max_tokens: 2000, stream: true, messages: [{ role: 'user', content: 'Write a lot' }] })
      .withResponse();
    let read = '';
    for await (const ev of stream) {
      if (ev.type !== 'content_block_delta' || ev.delta.type !== 'text_delta') continue;
      read += ev.delta.text;
      // Halfway between the 2nd and 3rd delta (240 ms apart): the 2nd arrives while the caller is busy.
      await new Promise((r) => setTimeout(r, 360));
      break;
    }
    const billed = await billedFor(emu, requestId ?? null);
    const rec = await eventually('the record', async () => {
      await c.clawback.flush();
      return (await c.clawback.store.query({})).find((r) => r.requestId === requestId);
    });
    assertMeteredAsBilled(rec, billed);
    assert.ok(rec.outputTokens > Math.ceil((read.length * 10) / 35), 'more than the caller read: what had arrived');
  });

  it('a stream read to its end is metered from its final usage, not estimated', async () => {
    const emu = await emulator({ text: TEXT.slice(0, 60) });
    const gw = await gateway(emu);
    const client = new Anthropic({ apiKey: 'sk-test', baseURL: gw.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: MODEL, max_tokens: 2000, messages: [{ role: 'user', content: 'Write a lot' }] });
    const msg = await stream.finalMessage();
    await gw.drain();
    const [rec] = await gw.store.query({});
    const billed = await billedFor(emu, rec?.requestId ?? null);
    assert.equal(rec?.outcome, 'ok');
    assert.equal(rec?.outputTokens, msg.usage.output_tokens);
    assert.equal(rec?.costPico, billed.costPico);
    assert.equal((rec?.usage as Record<string, unknown> | null)?.[OUTPUT_ESTIMATED], undefined);
  });
});
