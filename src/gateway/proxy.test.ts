// Transparency: the upstream receives the client's bytes and headers (minus clawback's own), the client receives the
// upstream's bytes (SSE chunk by chunk, compressed bodies untouched); keys, hooks and the planner's place in the flow.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import type { Lever } from '../levers/lever.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { createPlanner } from '../levers/planner.js';
import { ApiError } from '../wire/errors.js';
import { jobFor, prefixFingerprints } from './fingerprints.js';
import type { GatewayHook } from './hooks.js';
import { startGateway, type RunningGateway } from './server.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  response: Buffer;
  aborted: boolean;
}

/** An HTTP hop that forwards to `target` and records what passed in both directions. */
async function startRecorder(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), response: Buffer.alloc(0), aborted: false };
      seen.push(s);
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      void request(target + s.url, { method: s.method as 'POST', headers, body: s.body.length ? s.body : null }).then((up) => {
        const h = { ...up.headers };
        delete h['transfer-encoding'];
        delete h['connection'];
        res.writeHead(up.statusCode, h as Record<string, string>);
        const out: Buffer[] = [];
        up.body.on('data', (c: Buffer) => {
          out.push(c);
          res.write(c);
        });
        up.body.on('end', () => {
          s.response = Buffer.concat(out);
          res.end();
        });
        res.on('close', () => {
          if (!res.writableFinished) {
            s.aborted = true;
            up.body.destroy();
          }
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => closeServer(server) };
}

function closeServer(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
}

const MODEL = 'claude-sonnet-4-6';
let emu: RunningEmulator;
let rec: Awaited<ReturnType<typeof startRecorder>>;
const toClose: { close(): Promise<void> }[] = [];

before(async () => {
  emu = await startEmulator({ port: 0 });
  rec = await startRecorder(emu.url);
});
after(async () => {
  for (const c of toClose.reverse()) await c.close();
  await rec.close();
  await emu.close();
});

async function gateway(opts: Parameters<typeof startGateway>[0] = {}): Promise<RunningGateway> {
  const gw = await startGateway({ port: 0, upstream: rec.url, db: ':memory:', ...opts });
  toClose.push(gw);
  return gw;
}

describe('gateway transparency', () => {
  it('forwards the original bytes, unknown fields, headers and query; strips x-clawback-*; SSE bytes identical', async () => {
    const gw = await gateway();
    const raw = `{"model": "${MODEL}",  "max_tokens": 64, "stream": true, "some_future_field": {"x": [1, 2]},\n "messages": [{"role": "user", "content": "Hi"}]}`;
    const res = await request(`${gw.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-ant-oat-bearer-9999', 'content-type': 'application/json', 'anthropic-version': '2023-06-01',
        'anthropic-beta': 'context-1m-2025-08-07,interleaved-thinking-2025-05-14', 'x-app': 'cli', 'x-custom-thing': 'kept',
        'x-clawback-tags': 'team=a', 'x-clawback-session': 's', 'x-clawback-optimize': 'off', 'x-clawback-defer': '1h',
      },
      body: raw,
    });
    const got = Buffer.from(await res.body.arrayBuffer());
    const s = rec.seen.at(-1)!;
    assert.equal(s.url, '/v1/messages?beta=true');
    assert.equal(s.body.toString(), raw, 'the upstream receives the client bytes as sent');
    assert.equal(s.headers['authorization'], 'Bearer sk-ant-oat-bearer-9999');
    assert.equal(s.headers['anthropic-beta'], 'context-1m-2025-08-07,interleaved-thinking-2025-05-14');
    assert.equal(s.headers['x-custom-thing'], 'kept');
    assert.deepEqual(Object.keys(s.headers).filter((k) => k.startsWith('x-clawback-')), []);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    assert.ok(got.length > 200);
    assert.ok(got.equals(s.response), 'the client receives the upstream SSE bytes unchanged');
    assert.equal(res.headers['request-id'], s.response.length > 0 ? emu.ledger.entries().at(-1)!.requestId : '');
    await gw.drain();
    const r = (await gw.store.query({}))[0]!;
    assert.equal(r.keyLast4, '9999');
    assert.equal(r.sessionId, 's');
    assert.equal(r.costPico, emu.ledger.entries().at(-1)!.costPico);
  });

  it('relays SSE chunk by chunk, before the upstream has finished', { timeout: 10_000 }, async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const up = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-6","usage":{"input_tokens":7,"output_tokens":1}}}\n\n');
      // The rest is sent only once the client has seen the first event: a buffering proxy would hang here.
      void released.then(() => {
        res.write('event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}\n\n');
        res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      });
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    toClose.push({ close: () => closeServer(up) });
    const gw = await gateway({ upstream: `http://127.0.0.1:${(up.address() as AddressInfo).port}` });
    const res = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 5, stream: true, messages: [] }) });
    const chunks: string[] = [];
    for await (const c of res.body) {
      chunks.push(String(c));
      if (chunks.length === 1) release();
    }
    assert.ok(chunks.length >= 2);
    assert.match(chunks[0]!, /message_start/);
    await gw.drain();
    const r = (await gw.store.query({}))[0]!;
    assert.equal(r.inputTokens, 7);
    assert.equal(r.outputTokens, 3);
    assert.equal(r.stopReason, 'end_turn');
  });

  it('relays a long stream to a client that reads slowly: every byte, in order, metered from its last event', { timeout: 20_000 }, async () => {
    // ~6 MB of deltas written as fast as the upstream can: the gateway's socket to the client fills, the relay
    // pauses the upstream body and resumes on drain, and nothing is lost or reordered on the way.
    const deltas = Array.from({ length: 3000 }, (_, i) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${String(i).padStart(6, '0')}${'x'.repeat(2000)}"}}\n\n`);
    const wire = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_bp","model":"claude-sonnet-4-6","usage":{"input_tokens":11,"output_tokens":1}}}\n\n' +
      deltas.join('') + 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4321}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
    const up = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const bytes = Buffer.from(wire);
      for (let i = 0; i < bytes.length; i += 7_000) res.write(bytes.subarray(i, i + 7_000));
      res.end();
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    toClose.push({ close: () => closeServer(up) });
    const gw = await gateway({ upstream: `http://127.0.0.1:${(up.address() as AddressInfo).port}` });
    const res = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 5000, stream: true, messages: [] }) });
    const got: Buffer[] = [];
    let n = 0;
    for await (const c of res.body) {
      got.push(c as Buffer);
      if (++n % 50 === 0) await new Promise((r) => setTimeout(r, 5)); // a slow reader
    }
    assert.equal(Buffer.concat(got).toString(), wire);
    await gw.drain();
    const r = (await gw.store.query({}))[0]!;
    assert.equal(r.outcome, 'ok');
    assert.equal(r.outputTokens, 4321);
    assert.equal(r.inputTokens, 11);
  });

  it('relays a gzip body from an upstream that compresses anyway, and meters its decompressed copy', async () => {
    const json = JSON.stringify({ id: 'msg_g', type: 'message', model: MODEL, content: [], stop_reason: 'end_turn', usage: { input_tokens: 1000, output_tokens: 100 } });
    const gz = gzipSync(json);
    let askedEncoding: string | undefined;
    const up = createServer((req, res) => {
      askedEncoding = req.headers['accept-encoding'];
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
      res.end(gz);
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    toClose.push({ close: () => closeServer(up) });
    const gw = await gateway({ upstream: `http://127.0.0.1:${(up.address() as AddressInfo).port}` });
    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
      body: JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    const got = Buffer.from(await res.body.arrayBuffer());
    assert.equal(askedEncoding, 'identity', 'metered endpoints ask the upstream for identity');
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.ok(got.equals(gz), 'compressed bytes relayed untouched');
    await gw.drain();
    const r = (await gw.store.query({}))[0]!;
    assert.equal(r.inputTokens, 1000);
    assert.equal(r.outputTokens, 100);
    assert.ok(r.costPico > 0n);
  });

  it('passes the HEAD probes and other /v1 paths through; only /v1 is metered', async () => {
    const gw = await gateway();
    for (const p of ['/', '/api/hello']) {
      const r = await request(gw.url + p, { method: 'HEAD' });
      await r.body.dump();
      assert.equal(r.statusCode, 200);
    }
    const other = await request(`${gw.url}/v1/no/such/thing?x=1`, { headers: { 'x-api-key': 'k' } });
    const body = (await other.body.json()) as { type: string; error: { type: string } };
    assert.equal(other.statusCode, 404);
    assert.equal(body.error.type, 'not_found_error');
    assert.equal(rec.seen.at(-1)!.url, '/v1/no/such/thing?x=1');
    await gw.drain();
    const recs = await gw.store.query({});
    assert.deepEqual(recs.map((r) => [r.endpoint, r.status, r.outcome]), [['other', 404, 'error']]);
  });

  it('holds the upstream key itself: clients use their own keys, which never reach the upstream', async () => {
    const gw = await gateway({ apiKey: 'sk-ant-gateway-held', settings: { clientKeys: ['team-key-1234'] } });
    const body = JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    const ok = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { authorization: 'Bearer team-key-1234', 'content-type': 'application/json' }, body });
    await ok.body.dump();
    assert.equal(ok.statusCode, 200);
    const s = rec.seen.at(-1)!;
    assert.equal(s.headers['x-api-key'], 'sk-ant-gateway-held');
    assert.equal(s.headers['authorization'], undefined);
    const bad = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'wrong', 'content-type': 'application/json' }, body });
    assert.equal(bad.statusCode, 401);
    assert.equal(((await bad.body.json()) as { error: { type: string } }).error.type, 'authentication_error');
    await gw.drain();
    const recs = await gw.store.query({});
    assert.deepEqual(recs.map((r) => [r.keyLast4, r.outcome]), [['1234', 'ok'], ['rong', 'rejected']]);
  });

  it('runs the planner unless x-clawback-optimize: off, then hooks in order; sends the changed body', async () => {
    const capMaxTokens: Lever = {
      name: 'output', mode: 'enforce',
      plan(p) {
        p.body = { ...p.body, max_tokens: 16 };
        p.decisions.push({ lever: 'output', mode: 'enforce', applied: true, summary: 'max_tokens 500 -> 16' });
      },
      attribute: () => 1234n,
    };
    const calls: string[] = [];
    const hook: GatewayHook = {
      name: 'test',
      routes: [{ method: 'GET', prefix: '/clawback/ping', handler: (_req, res) => void res.end('pong') }],
      authenticate: (req) => {
        calls.push('authenticate');
        return req.headers['x-deny'] ? new ApiError('permission_error', 'denied by test') : { attribution: { tags: { via: 'hook' } } };
      },
      beforeSend: (ctx) => {
        calls.push(`beforeSend:${String(ctx.plan?.body['max_tokens'])}`);
        return undefined;
      },
      afterRecord: (r) => void calls.push(`afterRecord:${r.outcome}`),
    };
    const gw = await gateway({ planner: createPlanner([capMaxTokens]), hooks: [hook] });
    const ping = await request(`${gw.url}/clawback/ping`);
    assert.equal(await ping.body.text(), 'pong');
    const body = JSON.stringify({ model: MODEL, max_tokens: 500, messages: [{ role: 'user', content: 'x' }] });
    const send = async (extra: Record<string, string>): Promise<number> => {
      const r = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json', ...extra }, body });
      await r.body.dump();
      return r.statusCode;
    };
    assert.equal(await send({}), 200);
    assert.equal(JSON.parse(rec.seen.at(-1)!.body.toString()).max_tokens, 16);
    assert.equal(await send({ 'x-clawback-optimize': 'off' }), 200);
    assert.equal(rec.seen.at(-1)!.body.toString(), body, 'optimize off: the original bytes');
    assert.equal(await send({ 'x-deny': '1' }), 403);
    await gw.drain();
    // Per request: authenticate, then beforeSend (with the planned body), then afterRecord once it is metered
    // (metering finishes after the response, so afterRecord calls may interleave with the next request's).
    assert.deepEqual(calls.filter((c) => !c.startsWith('afterRecord')), ['authenticate', 'beforeSend:16', 'authenticate', 'beforeSend:500', 'authenticate']);
    assert.deepEqual(calls.filter((c) => c.startsWith('afterRecord')).sort(), ['afterRecord:ok', 'afterRecord:ok', 'afterRecord:rejected']);
    const recs = await gw.store.query({});
    const on = recs.find((r) => r.decisions.length > 0);
    const off = recs.find((r) => r.decisions.length === 0 && r.status === 200);
    const denied = recs.find((r) => r.status === 403);
    assert.deepEqual(on!.savingsPico, { output: 1234n });
    assert.equal(on!.baselinePico, on!.costPico + 1234n);
    assert.equal(on!.decisions[0]!.summary, 'max_tokens 500 -> 16');
    assert.deepEqual(on!.tags, { via: 'hook' });
    assert.deepEqual(off!.savingsPico, {});
    assert.equal(off!.baselinePico, off!.costPico);
    assert.equal(denied!.status, 403);
    assert.equal(denied!.errorType, 'permission_error');
  });

  it('fingerprints a large prompt (on the worker thread when compiled) exactly as analyzePrefix does', async () => {
    const gw = await gateway();
    const body = {
      model: MODEL, max_tokens: 16,
      system: [{ type: 'text', text: 'Rules of the house. '.repeat(60_000), cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: 'Which rule comes first?' }],
    };
    const raw = JSON.stringify(body);
    assert.ok(raw.length > 1024 * 1024, 'over the size that goes to the thread');
    const r = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body: raw });
    await r.body.dump();
    assert.equal(r.statusCode, 200);
    await gw.drain();
    const [rec] = await gw.store.query({});
    const model = getDefaultCatalog().resolve(MODEL);
    assert.deepEqual(rec!.prefix, prefixFingerprints(body, jobFor(model)));
    assert.equal(rec!.prefix.length, 2);
    assert.equal(rec!.prefix[0]!.bp, '1h');
  });
});
