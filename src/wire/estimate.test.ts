/**
 * Pre-send estimates. Token counts follow the deterministic estimate of tokens.ts (the emulator bills with the
 * same numbers): text tokens = ceil(chars x 10 / 35) on the 2025 tokenizer, ceil(chars x 10 / 27) on the 2026 one;
 * +3 per block, +4 on a message's first block, +3 per request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getDefaultCatalog, UnknownModelError } from '../pricing/catalog.js';
import { formatUsdExact } from '../pricing/money.js';
import { estimateRequestCost, observeEstimate } from './estimate.js';
import { TokenCalibration } from './tokens.js';

const catalog = getDefaultCatalog();
const usd = formatUsdExact;
const SYSTEM = 'x'.repeat(7_000); // 2025 tokenizer: 7,000 x 10 / 35 = 2,000 tokens; 2026: ceil(70,000 / 27) = 2,593

function body(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-sonnet-4-6', max_tokens: 1_000, system: SYSTEM, messages: [{ role: 'user', content: 'hello' }], ...extra };
}

test('a request without breakpoints: prompt tokens by tokenizer, output at max_tokens, priced by the engine', () => {
  const e = estimateRequestCost(catalog, body());
  // system 2,000 + 3 = 2,003; "hello" ceil(50/35) = 2 + 3 + 4 = 9; request 3 -> 2,015
  assert.equal(e.inputTokens, 2_015);
  assert.equal(e.maxOutputTokens, 1_000);
  assert.equal(e.model, 'claude-sonnet-4-6');
  // 2,015 x 3 / 1e6 = 0.006045; 1,000 x 15 / 1e6 = 0.015; total 0.021045 in every scenario
  for (const s of [e.worst, e.expected, e.uncached]) assert.equal(usd(s.cost.total), '0.021045');
  assert.equal(e.cacheablePrefixTokens, 0);
});

test('a cached system prompt: cold writes it (worst), warm reads it (expected), none ignores it', () => {
  const e = estimateRequestCost(catalog, body({ system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }] }));
  assert.equal(e.cacheablePrefixTokens, 2_003);
  // cold: 5m write 2,003 x 3.75 = 0.00751125; input (2,015 - 2,003) = 12 x 3 = 0.000036; output 0.015 -> 0.02254725
  assert.deepEqual(e.worst.usage.cache_creation, { ephemeral_5m_input_tokens: 2_003, ephemeral_1h_input_tokens: 0 });
  assert.equal(usd(e.worst.cost.total), '0.02254725');
  // warm: read 2,003 x 0.30 = 0.0006009; + 0.000036 + 0.015 -> 0.0156369
  assert.equal(usd(e.expected.cost.total), '0.0156369');
  assert.equal(usd(e.uncached.cost.total), '0.021045');
  // Automatic caching (top-level cache_control) places the breakpoint on the last block: the whole 2,012-token prompt.
  const auto = estimateRequestCost(catalog, body({ cache_control: { type: 'ephemeral' } }));
  assert.equal(auto.cacheablePrefixTokens, 2_012);
});

test('a prefix shorter than the model minimum is not cached (Haiku 4.5 needs 4,096)', () => {
  const e = estimateRequestCost(catalog, body({ model: 'claude-haiku-4-5', system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }] }));
  assert.equal(e.cacheablePrefixTokens, 0);
  assert.equal(e.worst.cost.total, e.uncached.cost.total);
  // 2,015 x 1 / 1e6 = 0.002015; 1,000 x 5 / 1e6 = 0.005 -> 0.007015
  assert.equal(usd(e.worst.cost.total), '0.007015');
});

test('1h and 5m breakpoints: 1h write through the last 1h breakpoint, 5m from there through the last', () => {
  const tools = [{ name: 'lookup', description: 'y'.repeat(3_465), input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: '1h' } }];
  const e = estimateRequestCost(catalog, body({ tools, system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }] }));
  const toolTokens = e.worst.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  // The tool definition's JSON is ~3,540 chars -> ~1,000 tokens + 3, plus the hidden tool prompt of Sonnet 4.6 (auto: 497).
  assert.ok(toolTokens > 1_400 && toolTokens < 1_600, String(toolTokens));
  assert.deepEqual(e.worst.usage.cache_creation, { ephemeral_5m_input_tokens: 2_003, ephemeral_1h_input_tokens: toolTokens });
  assert.equal(e.inputTokens, toolTokens + 2_003 + 9 + 3);
  // 1h line at $6, 5m line at $3.75: the bill follows the split exactly
  assert.equal(e.worst.cost.breakdown.cache_write_1h, BigInt(toolTokens) * 6_000_000n);
  assert.equal(e.worst.cost.breakdown.cache_write_5m, 2_003n * 3_750_000n);
});

test('the hidden tool-use system prompt is counted, per tool_choice (Opus 4.7: auto 675, any 804)', () => {
  const tools = [{ name: 't', description: 'd', input_schema: { type: 'object' } }];
  const none = estimateRequestCost(catalog, body({ model: 'claude-opus-4-7' }));
  const auto = estimateRequestCost(catalog, body({ model: 'claude-opus-4-7', tools }));
  const any = estimateRequestCost(catalog, body({ model: 'claude-opus-4-7', tools, tool_choice: { type: 'any' } }));
  assert.equal(any.inputTokens - auto.inputTokens, 804 - 675);
  assert.ok(auto.inputTokens - none.inputTokens > 675);
});

test('the 2026 tokenizer counts ~30% more tokens for the same text, and the estimate prices that', () => {
  const old = estimateRequestCost(catalog, body({ model: 'claude-opus-4-6' }));
  const neu = estimateRequestCost(catalog, body({ model: 'claude-opus-4-7' }));
  assert.equal(old.tokenizer, 'claude-2025');
  assert.equal(neu.tokenizer, 'claude-2026');
  // 2,593 + 3 + ceil(50/27)=2 + 3 + 4 + 3 = 2,608 vs 2,015
  assert.equal(neu.inputTokens, 2_608);
  // Same $5 price per MTok, different bill: (2,608 - 2,015) x 5 / 1e6 = 0.002965
  assert.equal(usd(neu.worst.cost.total - old.worst.cost.total), '0.002965');
});

test('calibration from observed usage scales later estimates of that tokenizer family', () => {
  const calibration = new TokenCalibration();
  const first = estimateRequestCost(catalog, body(), { calibration });
  // The API counted 20% more than we estimated: 2,015 -> 2,418
  observeEstimate(calibration, first, { input_tokens: 18, cache_read_input_tokens: 2_400 });
  const next = estimateRequestCost(catalog, body(), { calibration });
  assert.equal(next.rawInputTokens, 2_015);
  assert.equal(next.inputTokens, 2_418); // ceil(2,015 x 2,418 / 2,015)
  // Another family is untouched.
  assert.equal(estimateRequestCost(catalog, body({ model: 'claude-opus-4-7' }), { calibration }).inputTokens, 2_608);
});

test('assumptions: expected output, batch, inference_geo, fast mode, web searches', () => {
  // Expected output 200 instead of max_tokens 1,000: 0.006045 + 200 x 15 / 1e6 = 0.009045
  const e = estimateRequestCost(catalog, body(), { assume: { outputTokens: 200, cache: 'none' } });
  assert.equal(usd(e.expected.cost.total), '0.009045');
  assert.equal(usd(e.worst.cost.total), '0.021045');
  // Batch: half of 0.021045
  assert.equal(usd(estimateRequestCost(catalog, body(), { assume: { batch: true } }).worst.cost.total), '0.0105225');
  // inference_geo "us" on Opus 4.7: (2,608 x 5 + 1,000 x 25) / 1e6 = 0.03804 -> x 1.1 = 0.041844
  assert.equal(usd(estimateRequestCost(catalog, body({ model: 'claude-opus-4-7', inference_geo: 'us' })).worst.cost.total), '0.041844');
  // Haiku 4.5 rejects inference_geo (nothing billed): the estimate stays at the standard price instead of failing
  assert.equal(usd(estimateRequestCost(catalog, body({ model: 'claude-haiku-4-5', inference_geo: 'us' })).worst.cost.total), '0.007015');
  // Fast on Opus 4.8 ($10/$50): (2,608 x 10 + 1,000 x 50) / 1e6 = 0.07608; Opus 4.7 no longer has fast: standard 0.03804
  assert.equal(usd(estimateRequestCost(catalog, body({ model: 'claude-opus-4-8', speed: 'fast' })).worst.cost.total), '0.07608');
  assert.equal(usd(estimateRequestCost(catalog, body({ model: 'claude-opus-4-7', speed: 'fast' })).worst.cost.total), '0.03804');
  // Web search with max_uses 5: the worst case reserves 5 x $0.01
  const ws = estimateRequestCost(catalog, body({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] }), { assume: { webSearches: 1 } });
  assert.equal(usd(ws.worst.cost.breakdown.server_tools), '0.05');
  assert.equal(usd(ws.expected.cost.breakdown.server_tools), '0.01');
});

test('no max_tokens: the model maximum is the ceiling; the worst case is never below the others', () => {
  const { max_tokens: _m, ...rest } = body();
  const e = estimateRequestCost(catalog, rest);
  assert.equal(e.maxOutputTokens, 64_000);
  const cached = estimateRequestCost(catalog, body({ cache_control: { type: 'ephemeral', ttl: '1h' } }), { assume: { outputTokens: 10 } });
  assert.ok(cached.worst.cost.total >= cached.uncached.cost.total && cached.uncached.cost.total >= cached.expected.cost.total);
});

test('an unknown model is an error naming it; a cache_control the API would reject is reported', () => {
  assert.throws(() => estimateRequestCost(catalog, body({ model: 'claude-sonnet-9' })), (e: unknown) => e instanceof UnknownModelError && e.message.includes('claude-sonnet-9'));
  const five = Array.from({ length: 5 }, (_, i) => ({ role: 'user', content: [{ type: 'text', text: `turn ${i}`, cache_control: { type: 'ephemeral' } }] }));
  assert.match(estimateRequestCost(catalog, body({ messages: five })).cacheError ?? '', /maximum of 4 blocks/);
});
