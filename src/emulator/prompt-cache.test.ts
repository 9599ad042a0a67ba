import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzePrefix } from '../wire/prefix.js';
import { commitCache, planCache, PromptCacheStore, TTL_MS } from './prompt-cache.js';

const family = 'claude-2025' as const;
const words = (n: number, seed: string): string => `${seed} ` + 'lorem ipsum dolor sit amet '.repeat(n);
const cc = { type: 'ephemeral' };

function body(user: string, opts: { ttl?: '1h'; systemSize?: number } = {}): Record<string, unknown> {
  return {
    model: 'claude-sonnet-4-6',
    system: [{ type: 'text', text: words(opts.systemSize ?? 300, 'sys'), cache_control: opts.ttl ? { type: 'ephemeral', ttl: opts.ttl } : cc }],
    messages: [{ role: 'user', content: [{ type: 'text', text: user, cache_control: cc }] }],
  };
}

const plan = (store: PromptCacheStore, b: Record<string, unknown>, start: number, workspace = 'w', minTokens = 1024) =>
  planCache(store, { analysis: analyzePrefix(b, { family }), minTokens, workspace, start });

describe('prompt-cache engine', () => {
  test('planning never mutates: an entry is readable only after the writer commits', () => {
    const store = new PromptCacheStore();
    const b = body(words(400, 'question'));
    const first = plan(store, b, 0);
    const concurrent = plan(store, b, 10);
    assert.ok(first.usage.cache_creation_input_tokens > 0);
    assert.deepEqual(concurrent.usage, first.usage, 'a request that planned before the first response began also writes');
    assert.equal(store.size, 0);
    commitCache(store, first);
    const after = plan(store, b, 20);
    assert.equal(after.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(after.usage.cache_creation_input_tokens, 0);
  });

  test('usage adds up: input (uncached only) + writes + reads = every input token', () => {
    const store = new PromptCacheStore();
    const b = body(words(400, 'q'));
    const total = analyzePrefix(b, { family }).totalTokens;
    const p = plan(store, b, 0);
    assert.equal(p.usage.input_tokens + p.usage.cache_creation_input_tokens + p.usage.cache_read_input_tokens, total);
    assert.equal(p.usage.cache_creation.ephemeral_5m_input_tokens + p.usage.cache_creation.ephemeral_1h_input_tokens, p.usage.cache_creation_input_tokens);
  });

  test('mixed TTLs bill 1h for the prefix up to the 1h breakpoint and 5m for the rest', () => {
    const store = new PromptCacheStore();
    const b = body(words(400, 'q'), { ttl: '1h' });
    const a = analyzePrefix(b, { family });
    const p = plan(store, b, 0);
    const sysEnd = a.blocks.find((x) => x.section === 'system')!.cumTokens;
    const msgEnd = a.blocks.at(-1)!.cumTokens;
    assert.equal(p.usage.cache_creation.ephemeral_1h_input_tokens, sysEnd);
    assert.equal(p.usage.cache_creation.ephemeral_5m_input_tokens, msgEnd - sysEnd);
  });

  test('TTL counts from the request start and a hit refreshes it', () => {
    const store = new PromptCacheStore();
    const b = body(words(400, 'q'));
    commitCache(store, plan(store, b, 0));
    const hit = plan(store, b, TTL_MS['5m'] - 1);
    assert.ok(hit.usage.cache_read_input_tokens > 0);
    commitCache(store, hit);
    assert.ok(plan(store, b, TTL_MS['5m'] + 1000).usage.cache_read_input_tokens > 0, 'refreshed by the hit');
    assert.equal(plan(store, b, 2 * TTL_MS['5m']).usage.cache_read_input_tokens, 0, 'expired');
  });

  test('workspaces do not share entries; a disabled plan neither reads nor writes', () => {
    const store = new PromptCacheStore();
    const b = body(words(400, 'q'));
    commitCache(store, plan(store, b, 0, 'a'));
    assert.equal(plan(store, b, 1, 'b').usage.cache_read_input_tokens, 0);
    const off = planCache(store, { analysis: analyzePrefix(b, { family }), minTokens: 1024, workspace: 'a', start: 1, enabled: false });
    assert.equal(off.usage.cache_read_input_tokens, 0);
    assert.equal(off.writes.length, 0);
  });

  test('a breakpoint below the minimum writes nothing while a later one above it does', () => {
    const store = new PromptCacheStore();
    const b = body(words(2000, 'q'), { systemSize: 20 });
    const p = plan(store, b, 0);
    assert.equal(p.writes.length, 1);
    assert.equal(p.usage.cache_creation_input_tokens, analyzePrefix(b, { family }).blocks.at(-1)!.cumTokens);
  });

  test('prune drops expired entries', () => {
    const store = new PromptCacheStore();
    commitCache(store, plan(store, body(words(400, 'q')), 0));
    assert.equal(store.size, 2);
    assert.equal(store.prune(TTL_MS['5m'] + 1), 2);
    assert.equal(store.size, 0);
  });
});
