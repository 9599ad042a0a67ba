/**
 * Emulator throughput: JSON and streamed /v1/messages through undici with keep-alive, and the cost of the cache
 * decision (analyzePrefix + planCache) for a Claude-Code-sized prompt (~25 tools, 3 system blocks, a long
 * conversation). Prints figures; asserts nothing. Run: npx tsx bench/emulator.ts [requests] [concurrency]
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { getDefaultCatalog } from '../src/pricing/catalog.js';
import { analyzePrefix } from '../src/wire/prefix.js';
import { commitCache, planCache, PromptCacheStore } from '../src/emulator/prompt-cache.js';
import { startEmulator } from '../src/emulator/server.js';

const N = Number(process.argv[2] ?? 2000);
const C = Number(process.argv[3] ?? 8);
const MODEL = 'claude-sonnet-4-6';

function bigBody(turns: number): Record<string, unknown> {
  const tools = Array.from({ length: 25 }, (_, i) => ({ name: `tool_${i}`, description: `Tool number ${i}. `.repeat(150), input_schema: { type: 'object', properties: { arg: { type: 'string', description: 'x'.repeat(200) } } } }));
  const system = [0, 1, 2].map((i) => ({ type: 'text', text: `System block ${i}. `.repeat(300), ...(i > 0 ? { cache_control: { type: 'ephemeral' } } : {}) }));
  const messages = Array.from({ length: turns }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: [{ type: 'text', text: `Turn ${i}: ` + 'words about the code '.repeat(40), ...(i === turns - 1 ? { cache_control: { type: 'ephemeral' } } : {}) }] }));
  return { model: MODEL, max_tokens: 1000, tools, system, messages };
}

async function load(url: string, body: string, label: string): Promise<void> {
  const agent = new Agent({ connections: C, pipelining: 1 });
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        next++;
        const s = performance.now();
        const r = await request(`${url}/v1/messages`, { method: 'POST', dispatcher: agent, headers: { 'x-api-key': 'sk-ant-bench', 'content-type': 'application/json' }, body });
        await r.body.text();
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0).toFixed(2);
  console.log(`${label.padEnd(34)} ${(N / secs).toFixed(0).padStart(6)} req/s   p50 ${pct(0.5)} ms   p99 ${pct(0.99)} ms   (${N} requests, ${C} connections, body ${(body.length / 1024).toFixed(1)} KB)`);
  await agent.close();
}

const emu = await startEmulator({ env: {} });
try {
  const small = JSON.stringify({ model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: 'hello there' }] });
  await load(emu.url, small, 'small JSON');
  await load(emu.url, JSON.stringify({ ...JSON.parse(small), stream: true }), 'small streamed');
  await load(emu.url, JSON.stringify(bigBody(60)), 'Claude-Code-sized JSON (cached)');
} finally {
  await emu.close();
}

// The cache decision alone.
const entry = getDefaultCatalog().resolve(MODEL).entry;
const body = bigBody(60);
const store = new PromptCacheStore();
const M = 500;
let t = performance.now();
let analysis = analyzePrefix(body, { family: entry.tokenizer, toolOverhead: entry.tool_use_system_prompt_tokens });
for (let i = 0; i < M; i++) analysis = analyzePrefix(body, { family: entry.tokenizer, toolOverhead: entry.tool_use_system_prompt_tokens });
const analyzeMs = (performance.now() - t) / M;
commitCache(store, planCache(store, { analysis, minTokens: entry.min_cacheable_tokens, workspace: 'w', start: 0 }));
t = performance.now();
for (let i = 0; i < M; i++) planCache(store, { analysis, minTokens: entry.min_cacheable_tokens, workspace: 'w', start: 1 });
const planMs = (performance.now() - t) / M;
console.log(`analyzePrefix ${analysis.blocks.length} blocks / ${analysis.totalTokens} tokens: ${analyzeMs.toFixed(3)} ms; planCache (hit): ${(planMs * 1000).toFixed(1)} µs`);
