// Failure handling: retries (429, 529, 5xx, honouring retry-after, bounded, never after a byte was relayed), clients
// that go away mid-stream (upstream aborted, what was billed still metered), timeouts, unreachable upstreams and the
// gateway's own errors, each Anthropic-shaped with the right status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { priceUsage } from '../pricing/cost.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { startGateway, type GatewayOptions, type RunningGateway } from './server.js';

const MODEL = 'claude-sonnet-4-6';
const FAST_RETRY = { maxRetries: 2, maxTotalMs: 5_000, baseMs: 5, capMs: 20 };
const BODY = JSON.stringify({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] });
const open: { close(): Promise<void> }[] = [];
after(async () => {
  for (const c of open.reverse()) await c.close();
});

async function pair(emuOpts: Parameters<typeof startEmulator>[0], gwOpts: GatewayOptions = {}): Promise<{ emu: RunningEmulator; gw: RunningGateway }> {
  const emu = await startEmulator({ port: 0, ...emuOpts });
  open.push(emu);
  const gw = await startGateway({ port: 0, upstream: emu.url, db: ':memory:', settings: { retry: FAST_RETRY }, ...gwOpts });
  open.push(gw);
  return { emu, gw };
}

async function post(url: string, body = BODY, headers: Record<string, string> = {}): Promise<{ status: number; json: { type: string; error?: { type: string }; request_id?: string } }> {
  const r = await request(`${url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-test', 'content-type': 'application/json', ...headers }, body });
  return { status: r.statusCode, json: (await r.body.json()) as { type: string; error?: { type: string } } };
}

describe('gateway failure handling', () => {
  it('retries a 429 after the retry-after it names, and meters the success at the ledger cost', async () => {
    const { emu, gw } = await pair({ faults: '429@1' });
    const r = await post(gw.url);
    assert.equal(r.status, 200);
    await gw.drain();
    const [rec] = await gw.store.query({});
    assert.equal(rec!.retries, 1);
    assert.equal(rec!.outcome, 'ok');
    const billed = emu.ledger.entries();
    assert.equal(billed.length, 1, 'the 429 was not billed');
    assert.equal(rec!.costPico, billed[0]!.costPico);
    assert.equal(rec!.requestId, billed[0]!.requestId);
  });

  it('retries 529 and 500 with backoff, up to the bound, then relays the last error', async () => {
    const { emu, gw } = await pair({ faults: ['529@1', '500@1'] });
    assert.equal((await post(gw.url)).status, 200);
    const again = await pair({ faults: '529' });
    const r = await post(again.gw.url);
    assert.equal(r.status, 529);
    assert.equal(r.json.error?.type, 'overloaded_error');
    await gw.drain();
    await again.gw.drain();
    assert.equal((await gw.store.query({}))[0]!.retries, 2);
    const [failed] = await again.gw.store.query({});
    assert.equal(failed!.retries, FAST_RETRY.maxRetries);
    assert.equal(failed!.costPico, 0n);
    assert.equal(again.emu.ledger.entries().length, 0);
    assert.equal(emu.ledger.entries().length, 1);
  });

  it('never retries once bytes reached the client: a stream that fails mid-way is relayed as is', async () => {
    const { emu, gw } = await pair({ faults: 'mid-stream-error@1' });
    const client = new Anthropic({ apiKey: 'sk-test', baseURL: gw.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] });
    await assert.rejects(stream.finalMessage(), /Overloaded/);
    await gw.drain();
    const [rec] = await gw.store.query({});
    assert.equal(rec!.retries, 0);
    assert.equal(rec!.outcome, 'error');
    assert.equal(rec!.costPico, 0n);
    assert.equal(emu.ledger.entries().length, 0);
  });

  it('aborts the upstream when the client goes away mid-stream, and meters what the emulator billed for it', async () => {
    // 300 ms between deltas: the abort reaches the emulator before it writes the next one, even on a loaded machine.
    const { emu, gw } = await pair({ latency: { perTokenMs: 50 }, scenarios: [{ match: {}, text: 'word '.repeat(60) }] });
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': 'sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 2000, stream: true, messages: [{ role: 'user', content: 'Write a lot' }] }),
    });
    let seen = '';
    for await (const c of res.body) {
      seen += String(c);
      if (seen.includes('content_block_delta')) break; // leaves the loop: the body is destroyed, the socket closed
    }
    await gw.drain();
    const [rec] = await gw.store.query({});
    assert.equal(rec!.outcome, 'aborted');
    assert.equal(rec!.stream, true);
    // The emulator bills when it sees the connection close, which may come after the gateway recorded.
    for (let i = 0; i < 1000 && emu.ledger.entries().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const billed = emu.ledger.entries();
    assert.equal(billed.length, 1);
    assert.equal(rec!.requestId, billed[0]!.requestId);
    // The input side comes from message_start; the output is estimated from the deltas received, as the emulator
    // counts the deltas it wrote (metering/aborted-stream.test.ts checks this to the token for several shapes).
    assert.equal(rec!.usage?.input_tokens, billed[0]!.usage.input_tokens);
    assert.equal(rec!.costPico, priceUsage(getDefaultCatalog(), MODEL, rec!.usage!).total);
    assert.equal(rec!.costPico, billed[0]!.costPico);
  });

  it('closes the upstream connection when the client goes away (the answer stops being generated)', async () => {
    let upstreamClosedEarly!: (v: boolean) => void;
    const closed = new Promise<boolean>((r) => (upstreamClosedEarly = r));
    const up = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_a","model":"claude-sonnet-4-6","usage":{"input_tokens":50,"output_tokens":1}}}\n\n');
      const t = setInterval(() => res.write('event: ping\ndata: {"type":"ping"}\n\n'), 10);
      res.on('close', () => {
        clearInterval(t);
        upstreamClosedEarly(!res.writableFinished);
      });
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => up.close(() => r())) });
    const gw = await startGateway({ port: 0, upstream: `http://127.0.0.1:${(up.address() as AddressInfo).port}`, db: ':memory:' });
    open.push(gw);
    const res = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 5, stream: true, messages: [] }) });
    for await (const c of res.body) if (String(c).includes('ping')) break;
    assert.equal(await closed, true, 'the upstream response was cut off');
    await gw.drain();
    const [rec] = await gw.store.query({});
    assert.equal(rec!.outcome, 'aborted');
    assert.equal(rec!.inputTokens, 50);
  });

  it('answers an unreachable upstream with 502 api_error and a timeout with 504 timeout_error', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const gw = await startGateway({ port: 0, upstream: `http://127.0.0.1:${port}`, db: ':memory:', settings: { retry: FAST_RETRY } });
    open.push(gw);
    const r = await post(gw.url);
    assert.equal(r.status, 502);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error?.type, 'api_error');
    assert.match(r.json.request_id ?? '', /^req_/);

    const slow = await pair({ faults: 'slow-first-byte:1000' }, { settings: { retry: FAST_RETRY, headersTimeoutMs: 100 } });
    const t = await post(slow.gw.url);
    assert.equal(t.status, 504);
    assert.equal(t.json.error?.type, 'timeout_error');
    await gw.drain();
    await slow.gw.drain();
    assert.deepEqual((await gw.store.query({})).map((x) => [x.status, x.outcome, x.errorType, x.retries]), [[502, 'error', 'api_error', 2]]);
    assert.deepEqual((await slow.gw.store.query({})).map((x) => [x.status, x.outcome, x.errorType, x.retries]), [[504, 'error', 'timeout_error', 0]]);
  });

  it('rejects bad JSON (400) and bodies over the limit (413) itself, without calling upstream', async () => {
    const { emu, gw } = await pair({}, { settings: { maxBodyBytes: 2_000 } });
    const bad = await post(gw.url, '{"model": "claude-sonnet-4-6", ');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error?.type, 'invalid_request_error');
    const notObject = await post(gw.url, '[1,2]');
    assert.equal(notObject.status, 400);
    const big = JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(5_000) }] });
    const tooBig = await post(gw.url, big);
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json.error?.type, 'request_too_large');
    assert.equal(emu.ledger.entries().length, 0);
    await gw.drain();
    assert.deepEqual((await gw.store.query({})).map((x) => [x.status, x.outcome]), [[400, 'rejected'], [400, 'rejected'], [413, 'rejected']]);
  });
});

before(() => {
  // The SDK reads ANTHROPIC_BASE_URL when no baseURL is given; make sure a developer's shell cannot redirect these tests.
  delete process.env['ANTHROPIC_BASE_URL'];
});
