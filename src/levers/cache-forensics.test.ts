/**
 * Cache forensics over hand-built usage records, with the arithmetic worked out: token-weighted hit rate, written
 * tokens never read (a later read covers what it shares of the writer's prompt), the steady-state figure without
 * each session's last request, the net saving after the write premium, and miss reasons.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import type { LeverDecisionRecord, PrefixFingerprint, UsageRecord } from '../store/record.js';
import { REQUEST_OVERHEAD } from '../wire/tokens.js';
import { cacheForensics, hitRate, wasteRate } from './cache-forensics.js';

const catalog = getDefaultCatalog();
let seq = 0;

/** A metered Sonnet 4.6 request: `fp` is [hash, cumulative tokens] per block; the prompt is the last one + overhead. */
function rec(session: string, fp: [string, number][], u: { read: number; w5: number; w1?: number }, miss?: string | null): UsageRecord {
  const total = fp.at(-1)![1] + REQUEST_OVERHEAD;
  const w1 = u.w1 ?? 0;
  const prefix: PrefixFingerprint[] = fp.map(([h, t], i) => ({ i, h, t, ...(i === 1 ? { bp: '5m' as const } : {}) }));
  const decisions: LeverDecisionRecord[] = miss === undefined ? [] : [{ lever: 'caching', mode: 'enforce', applied: true, summary: '', detail: { miss } }];
  const input = total - u.read - u.w5 - w1;
  seq++;
  return {
    id: `r${seq}`, requestId: null, messageId: null, source: 'gateway', endpoint: 'messages', method: 'POST', path: '/v1/messages',
    startedAt: 1_000 * seq, firstByteAt: null, endedAt: null, requestedModel: 'claude-sonnet-4-6', servedModel: 'claude-sonnet-4-6',
    stream: false, status: 200, outcome: 'ok', stopReason: 'end_turn', errorType: null,
    usage: { input_tokens: input, cache_read_input_tokens: u.read, cache_creation_input_tokens: u.w5 + w1, output_tokens: 10 },
    inputTokens: input, outputTokens: 10, cacheWrite5mTokens: u.w5, cacheWrite1hTokens: w1, cacheReadTokens: u.read, webSearchRequests: 0,
    costPico: 0n, baselinePico: 0n, savingsPico: { caching: 7n }, keyHash: 'k', keyLast4: null, userId: null, sessionId: session, tags: {},
    batchId: null, customId: null, retries: 0, maxTokens: 100, prefix, decisions, promptText: null,
  };
}

test('hit rate, never-read writes, steady state and misses', () => {
  // Session a: turn 1 writes system + turn (3,000 + 300); turn 2 reads all of it and writes its own 200.
  // Session b: reads the system prompt only (3,000 of session a's first write), writes its first turn (250).
  // Session a's turn 2 write is never read (it is that session's last request); session b's write neither.
  const r1 = rec('a', [['s', 3000], ['a1', 3300]], { read: 0, w5: 3303 - 3 }, 'cold');
  const r2 = rec('a', [['s', 3000], ['a1', 3300], ['a2', 3500]], { read: 3300, w5: 200 }, null);
  const r3 = rec('b', [['s', 3000], ['b1', 3250]], { read: 3000, w5: 250 }, null);
  const f = cacheForensics([r3, r1, r2], catalog); // any order: sorted by time
  const t = f.totals;
  assert.equal(t.requests, 3);
  assert.equal(t.inputTokens, 3303 + 3503 + 3253);
  assert.equal(t.readTokens, 6300);
  assert.equal(hitRate(t), 6300 / (3303 + 3503 + 3253));
  assert.equal(t.write5mTokens, 3300 + 200 + 250);
  // r1's 3,300 written tokens were all read (by r2); r2's 200 and r3's 250 never were.
  assert.equal(t.neverReadTokens, 450);
  // Both are their session's last request: in steady state nothing was wasted.
  assert.equal(t.neverReadSteadyTokens, 0);
  assert.equal(wasteRate(t, true), 0);
  assert.equal(wasteRate(t, false), 450 / 3750);
  assert.deepEqual(t.misses, { cold: 1 });
  assert.equal(f.sessions.get('a')!.requests, 2);
  assert.equal(f.sessions.get('b')!.neverReadTokens, 250);
  // Per prefix (up to the first breakpoint, block 1 here): session a's two requests share one, session b has its own.
  assert.deepEqual([...f.prefixes.values()].map((s) => s.requests).sort(), [1, 2]);
  assert.equal(t.leverSavingPico, 21n);
});

test('a partial read covers only what the reader shares with the writer', () => {
  // r1 writes 5,000 tokens; r2 in another session shares only the first 2,000 and reads them.
  const r1 = rec('a', [['x', 2000], ['y', 5000]], { read: 0, w5: 5000 }, 'cold');
  const r2 = rec('b', [['x', 2000], ['z', 4000]], { read: 2000, w5: 2000 }, null);
  const r3 = rec('a', [['x', 2000], ['y', 5000], ['q', 5100]], { read: 5000, w5: 100 }, null);
  const f = cacheForensics([r1, r2, r3], catalog);
  // r1 fully read by r3; r2's 2,000 and r3's 100 never read, both their sessions' last.
  assert.equal(f.totals.neverReadTokens, 2100);
  assert.equal(f.totals.neverReadSteadyTokens, 0);
});

test('net saving after the write premium, priced by the cost engine', () => {
  // 10,000 tokens written once at 1.25x and read once at 0.1x, against 20,000 uncached: Sonnet 4.6 at $3/MTok.
  const w = rec('a', [['s', 9000], ['t', 9997]], { read: 0, w5: 10_000 }, 'cold');
  const r = rec('a', [['s', 9000], ['t', 9997]], { read: 10_000, w5: 0 }, null);
  const f = cacheForensics([w, r], catalog);
  // uncached: 20,000 x $3/MTok = $0.06; actual: 10,000 x 3.75 + 10,000 x 0.30 = $0.0405; saving $0.0195
  assert.equal(f.totals.netSavingPico, 19_500_000_000n);
});

test('failed requests and other endpoints are left out', () => {
  const ok = rec('a', [['s', 3000]], { read: 0, w5: 3000 }, 'cold');
  const failed: UsageRecord = { ...rec('a', [['s', 3000]], { read: 3000, w5: 0 }), status: 529, outcome: 'error' };
  const count: UsageRecord = { ...rec('a', [['s', 3000]], { read: 0, w5: 0 }), endpoint: 'count_tokens' };
  assert.equal(cacheForensics([ok, failed, count], catalog).totals.requests, 1);
});

test('writes without prefix fingerprints cannot be traced and are not counted as waste', () => {
  const w: UsageRecord = { ...rec('a', [['s', 3000]], { read: 0, w5: 3000 }, 'cold'), prefix: [] };
  assert.equal(cacheForensics([w], catalog).totals.neverReadTokens, 0);
});
