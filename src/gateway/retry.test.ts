// When the gateway retries and how long it waits: the upstream's retry-after first, else bounded jittered backoff.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteResultsUrls } from './batches.js';
import { idMinter } from './ids.js';
import { backoffMs, isRetryableStatus, retryAfterMs, retryDelay } from './retry.js';

const policy = { maxRetries: 3, maxTotalMs: 10_000, baseMs: 500, capMs: 4_000 };

describe('retry policy', () => {
  it('retries 429, 529 and 5xx only', () => {
    assert.deepEqual([400, 401, 404, 413, 429, 500, 502, 503, 529].filter(isRetryableStatus), [429, 500, 502, 503, 529]);
  });

  it('reads retry-after-ms, then retry-after in seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }), 250);
    assert.equal(retryAfterMs({ 'retry-after': '2' }), 2000);
    assert.equal(retryAfterMs({ 'retry-after': '0.5' }), 500);
    const now = Date.parse('2026-11-24T08:00:00Z');
    assert.equal(retryAfterMs({ 'retry-after': 'Tue, 24 Nov 2026 08:00:03 GMT' }, now), 3000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), null);
    assert.equal(retryAfterMs({}), null);
  });

  it('backs off exponentially with jitter between half and all of the capped ceiling', () => {
    assert.equal(backoffMs(policy, 0, () => 0), 250);
    assert.equal(backoffMs(policy, 0, () => 1), 500);
    assert.equal(backoffMs(policy, 2, () => 1), 2000);
    assert.equal(backoffMs(policy, 6, () => 1), 4000, 'capped');
  });

  it('stops at the retry count, the total time, or x-should-retry: false', () => {
    assert.equal(retryDelay(policy, 0, 0, { 'retry-after': '1' }), 1000);
    assert.equal(retryDelay(policy, 3, 0, null), null, 'count reached');
    assert.equal(retryDelay(policy, 0, 9_500, { 'retry-after': '1' }), null, 'would pass the total bound');
    assert.equal(retryDelay(policy, 0, 0, { 'x-should-retry': 'false' }), null);
    const d = retryDelay(policy, 1, 0, null);
    assert.ok(d !== null && d >= 500 && d <= 1000);
  });
});

describe('batch results_url rewriting', () => {
  it('points results_url of one batch or a list at the gateway, only for the upstream it came from', () => {
    const one = { id: 'b1', results_url: 'https://api.anthropic.com/v1/messages/batches/b1/results' };
    assert.equal(rewriteResultsUrls(one, 'https://api.anthropic.com', 'http://127.0.0.1:8787'), 1);
    assert.equal(one.results_url, 'http://127.0.0.1:8787/v1/messages/batches/b1/results');
    const list = { data: [{ results_url: 'http://up:1/base/v1/messages/batches/b2/results' }, { results_url: null }, { results_url: 'https://elsewhere/x' }] };
    assert.equal(rewriteResultsUrls(list, 'http://up:1/base', 'http://gw'), 1);
    assert.deepEqual(list.data.map((d) => d.results_url), ['http://gw/v1/messages/batches/b2/results', null, 'https://elsewhere/x']);
  });
});

describe('request ids', () => {
  it('are shaped like the API ids and unique', () => {
    const next = idMinter('req');
    const ids = Array.from({ length: 1000 }, next);
    assert.equal(new Set(ids).size, 1000);
    for (const id of ids) assert.match(id, /^req_01[0-9A-Za-z]{22}$/);
  });
});
