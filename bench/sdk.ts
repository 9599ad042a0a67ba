/**
 * `npx tsx bench/sdk.ts` (or `node dist/bench/sdk.js`): what the SDK wrapper adds to a request, in-process.
 *
 *   plain    the official SDK calling a trivial upstream (node:http, canned JSON or SSE answer)
 *   metered  the same client through `withClawback` with `optimize: false` (usage tap, cost, fingerprints, SQLite
 *            :memory:; no lever): what the wrapper itself costs
 *   wrapped  through `withClawback` with the default levers (what the planner adds is the levers' own cost, the same
 *            work the gateway does per request)
 *
 * For a small request and a Claude-Code-sized one (~85 KB: 25 tools, long system prompt), JSON and SSE answers,
 * one request at a time, the three clients taking turns: requests/s and p50 latency, and the p50 each adds to plain.
 * Options (env): BENCH_SECONDS per measurement (default 2).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { withClawback } from '../src/sdk/index.js';

const MODEL = 'claude-haiku-4-5';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);
const USAGE = { input_tokens: 42, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 18, service_tier: 'standard' };
const MESSAGE = { id: 'msg_01bench', type: 'message', role: 'assistant', model: MODEL, content: [{ type: 'text', text: 'Sunny, around 17 degrees.' }], stop_reason: 'end_turn', stop_sequence: null, usage: USAGE };
const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const SSE = [
  sse('message_start', { type: 'message_start', message: { ...MESSAGE, content: [], stop_reason: null, usage: { ...USAGE, output_tokens: 1 } } }),
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sunny, around 17 degrees.' } }),
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 18 } }),
  sse('message_stop', { type: 'message_stop' }),
].join('');

const small = { model: MODEL, max_tokens: 256, system: 'You answer questions about the weather.', messages: [{ role: 'user' as const, content: 'Weather in Paris tomorrow?' }] };
const tools = Array.from({ length: 25 }, (_, i) => ({
  name: `tool_${i}`, description: `Tool number ${i}. `.repeat(120),
  input_schema: { type: 'object' as const, properties: { path: { type: 'string', description: 'A path. '.repeat(20) } }, required: ['path'] },
}));
const large = { ...small, system: 'You are a coding agent. Follow the repository conventions. '.repeat(150), tools };

async function main(): Promise<void> {
  const up = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const stream = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean }).stream === true;
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', 'request-id': 'req_bench' });
      res.end(stream ? SSE : JSON.stringify(MESSAGE));
    });
  });
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  const baseURL = `http://127.0.0.1:${(up.address() as AddressInfo).port}`;
  const plain = new Anthropic({ apiKey: 'sk-bench', baseURL, maxRetries: 0 });
  const wrapped = withClawback(new Anthropic({ apiKey: 'sk-bench', baseURL, maxRetries: 0 }), { db: ':memory:' });
  const metered = withClawback(new Anthropic({ apiKey: 'sk-bench', baseURL, maxRetries: 0 }), { db: ':memory:', optimize: false });
  const clients = [['plain', plain], ['metered', metered], ['wrapped', wrapped]] as const;
  console.log(`large body: ${JSON.stringify(large).length} bytes; ${SECONDS}s per measurement; one request at a time`);
  console.log('body   answer  client   req/s   p50 ms   added p50 ms');
  for (const [name, body] of [['small', small], ['large', large]] as const) {
    for (const stream of [false, true]) {
      // the clients take turns, so all see the same load on a shared machine
      const times: number[][] = clients.map(() => []);
      const end = performance.now() + SECONDS * clients.length * 1000;
      for (let i = 0; performance.now() < end; i++) {
        const c = clients[i % clients.length]![1];
        const t = performance.now();
        if (stream) await c.messages.stream(body).finalMessage();
        else await c.messages.create(body);
        times[i % clients.length]!.push(performance.now() - t);
      }
      const p50 = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
      const base = p50(times[0]!);
      for (const [k, [label]] of clients.entries()) {
        const xs = times[k]!;
        const p = p50(xs);
        const added = k > 0 ? (p - base).toFixed(3) : '';
        console.log(`${name.padEnd(6)} ${(stream ? 'sse' : 'json').padEnd(7)} ${label.padEnd(8)} ${(xs.length / SECONDS).toFixed(0).padStart(5)}   ${p.toFixed(3).padStart(6)}   ${added}`);
      }
    }
  }
  await wrapped.clawback.flush();
  await metered.clawback.flush();
  console.log(`records written: ${(await wrapped.clawback.store.query({})).length + (await metered.clawback.store.query({})).length}`);
  await wrapped.clawback.close();
  await metered.clawback.close();
  await new Promise<void>((r) => up.close(() => r()));
}

await main();
