/**
 * How cheap pricing and the pre-send estimate are (both run in the request path). Prints, per case, the mean time
 * per call over a fixed number of calls after a warm-up. Run: npx tsx bench/pricing.ts [--json]
 */
import { getDefaultCatalog } from '../src/pricing/catalog.js';
import { priceUsage } from '../src/pricing/cost.js';
import { analyzePrefix } from '../src/wire/prefix.js';
import { estimateRequestCost } from '../src/wire/estimate.js';

const catalog = getDefaultCatalog();

function conversation(turns: number, charsPerTurn: number): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: [{ type: 'text', text: `q${i} ` + 'lorem ipsum '.repeat(charsPerTurn / 12) }] });
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `a${i} ` + 'dolor sit amet '.repeat(charsPerTurn / 15) }] });
  }
  messages.push({ role: 'user', content: 'next?' });
  return {
    model: 'claude-sonnet-4-6',
    max_tokens: 4_096,
    system: [{ type: 'text', text: 'You are helpful. '.repeat(400), cache_control: { type: 'ephemeral' } }],
    tools: [{ name: 'search', description: 'search the docs', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
    cache_control: { type: 'ephemeral' },
    messages,
  };
}

function time(label: string, calls: number, fn: () => unknown): { label: string; calls: number; usPerCall: number } {
  for (let i = 0; i < Math.min(200, calls); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  const us = ((performance.now() - t0) * 1000) / calls;
  return { label, calls, usPerCall: Math.round(us * 100) / 100 };
}

const usage = {
  input_tokens: 1_200, output_tokens: 800, cache_creation_input_tokens: 3_000,
  cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 1_000 }, cache_read_input_tokens: 40_000,
  server_tool_use: { web_search_requests: 1 }, iterations: [{ type: 'compaction', input_tokens: 150_000, output_tokens: 2_000 }],
};
const small = conversation(1, 400);
const large = conversation(100, 4_000);
const prefix = analyzePrefix(large, { family: 'claude-2025', toolOverhead: { auto: 497, any: 589 }, model: 'claude-sonnet-4-6' });

const results = [
  time('priceUsage (full usage, 1 compaction iteration)', 50_000, () => priceUsage(catalog, 'claude-sonnet-4-6', usage)),
  time('estimateRequestCost, 1 turn (~1 KB body)', 5_000, () => estimateRequestCost(catalog, small)),
  time(`estimateRequestCost, 100 turns (~${Math.round(JSON.stringify(large).length / 1024)} KB body)`, 200, () => estimateRequestCost(catalog, large)),
  time('estimateRequestCost, 100 turns, prefix analysis reused', 20_000, () => estimateRequestCost(catalog, large, { prefix })),
];
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
else for (const r of results) console.log(`${r.label.padEnd(60)} ${String(r.usPerCall).padStart(10)} µs/call  (${r.calls} calls)`);
