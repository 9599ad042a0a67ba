import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import type { CommandIO } from '../cli/command.js';
import { captureIO } from '../testing/cli-io.js';
import { KEY_PREFIX, KeyStore } from './keys.js';
import { openStateDb } from './state-db.js';
import { startHarness, TOKEN, userMessage } from './testing.js';

function io(env: NodeJS.ProcessEnv = {}): CommandIO & { out(): string; err(): string } {
  const c = captureIO(env);
  return { ...c.io, out: c.out, err: c.err };
}

test('keys are stored hashed with a secret salt; verify accepts active keys only', () => {
  const db = openStateDb(':memory:');
  const ks = new KeyStore(db, {});
  const { key, record } = ks.create({ name: 'search-app', tags: { team: 'search' } });
  assert.ok(key.startsWith(KEY_PREFIX));
  assert.equal(record.last4, key.slice(-4));
  const rows = db.prepare('SELECT * FROM monitor_keys').all();
  assert.ok(!JSON.stringify(rows).includes(key), 'the key itself is not stored');
  assert.equal(ks.verify(key)?.name, 'search-app');
  assert.equal(ks.verify(key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a')), null);
  assert.notEqual(new KeyStore(openStateDb(':memory:'), {}).hashOf(key), record.hash, 'another secret gives another hash');
  assert.throws(() => ks.create({ name: 'search-app' }), /already exists/);
  assert.equal(ks.revoke('search-app'), true);
  assert.equal(ks.verify(key), null);
  assert.equal(ks.revoke('search-app'), false);
  db.close();
});

test('clawback keys create/ls/revoke, and the gateway serving, attributing and budgeting by virtual key', async () => {
  // The emulator accepts only the gateway's real key, so a virtual key reaching upstream would fail.
  const h = await startHarness({ emulator: { workspaces: { 'sk-ant-test-upstream': 'w1' }, requireKnownKeys: true } });
  const state = join(h.dir, 'monitor.db');
  try {
    assert.equal((await h.send(userMessage('before any key exists'))).status, 200, 'no virtual keys yet: clients pass as before');

    const c = io();
    assert.equal(await main(['keys', 'create', '--name', 'search-app', '--tags', 'team=search', '--budget', '0.01/day', '--state', state], c), 0);
    const key = c.out().trim();
    assert.match(key, /^sk-clawback-[0-9A-Za-z]{32}$/);
    assert.match(c.err(), /only time it is shown/);
    assert.ok(!readFileSync(state).includes(Buffer.from(key)), 'the key is not in the database file');

    const ls = io();
    assert.equal(await main(['keys', 'ls', '--json', '--state', state], ls), 0);
    const listed = JSON.parse(ls.out()) as { keys: { name: string; last4: string; tags: Record<string, string>; budget: { limit_usd: number; period: string } }[] };
    assert.deepEqual(listed.keys.map((k) => [k.name, k.last4, k.tags, k.budget]), [['search-app', key.slice(-4), { team: 'search' }, { limit_usd: 0.01, period: 'day' }]]);

    // now that a key exists, other keys are refused (within a second: the gateway re-reads whether keys exist at
    // least that often); the virtual key is served with the real one
    const created = Date.now();
    let stranger = await h.send(userMessage('hello'));
    while (stranger.status === 200 && Date.now() - created < 1500) {
      await new Promise((r) => setTimeout(r, 100));
      stranger = await h.send(userMessage('hello'));
    }
    assert.equal(stranger.status, 401);
    assert.ok(Date.now() - created < 1500, 'refused within a second or so of the key being created elsewhere');
    assert.equal((stranger.json['error'] as { type: string }).type, 'authentication_error');
    const ok = await h.send(userMessage('hello from search', 'claude-sonnet-4-6', 100), { 'x-api-key': key, 'x-clawback-tags': 'team=other,feature=faq' });
    assert.equal(ok.status, 200);
    const bearer = await fetch(`${h.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', authorization: `Bearer ${key}` },
      body: JSON.stringify(userMessage('bearer works too', 'claude-sonnet-4-6', 100)),
    });
    assert.equal(bearer.status, 200);
    await h.gw.drain();
    const recs = await h.gw.store.query({ newestFirst: true, limit: 2 });
    const hash = h.gw.monitor.keys.byName('search-app')!.hash;
    assert.deepEqual(recs.map((r) => r.keyHash), [hash, hash]);
    assert.deepEqual(recs[1]!.tags, { team: 'search', feature: 'faq' }, 'the key\'s tags win over the request\'s');

    // its budget ($0.01/day) applies: 1000 output tokens of Sonnet cannot fit after what it spent
    const big = await h.send(userMessage('write a lot', 'claude-sonnet-4-6', 1000), { 'x-api-key': key });
    assert.equal(big.status, 429);
    assert.match((big.json['error'] as { message: string }).message, /budget "key:search-app" \(key "search-app", per day\)/);
    const summary = (await (await h.admin('/clawback/api/summary')).json()) as { by_key: { name: string; requests: number }[] };
    assert.ok(summary.by_key.some((k) => k.name === 'search-app' && k.requests === 3));

    const rv = io();
    assert.equal(await main(['keys', 'revoke', 'search-app', '--state', state], rv), 0);
    assert.equal(rv.out(), 'revoked key "search-app"\n');
    const revoked = await h.send(userMessage('still there?'), { 'x-api-key': key });
    assert.equal(revoked.status, 401);
    assert.match((revoked.json['error'] as { message: string }).message, /unknown or revoked/);

    const bad = io();
    assert.equal(await main(['keys', 'create', '--name', 'x', '--budget', 'lots', '--state', state], bad), 2);
    assert.match(bad.err(), /50\/month/);
  } finally {
    await h.close();
  }
});

test('admin routes: bearer token, ?token= once then a session cookie, 401 otherwise; no open admin on a public bind', async () => {
  const h = await startHarness();
  try {
    const url = h.gw.url;
    assert.equal((await fetch(`${url}/clawback/api/summary`)).status, 401);
    assert.equal((await fetch(`${url}/clawback/api/summary`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${url}/clawback/`)).status, 401);
    const sum = await fetch(`${url}/clawback/api/summary`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(sum.status, 200);
    const body = (await sum.json()) as { totals: Record<string, number> };
    for (const f of ['cost_usd', 'requests', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'savings_usd']) assert.equal(typeof body.totals[f], 'number', f);

    const first = await fetch(`${url}/clawback/?token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/clawback/', 'the token leaves the address bar');
    const cookie = first.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(TOKEN));
    const page = await fetch(`${url}/clawback/`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<title>clawback/);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=["']?https?:/i.test(html), 'no external scripts or styles');
    assert.equal((await fetch(`${url}/clawback/api/budgets`, { headers: { cookie: cookie.split(';')[0]! } })).status, 200);
    assert.equal((await fetch(`${url}/clawback/api/budgets`, { headers: { cookie: 'clawback_session=forged' } })).status, 401);
  } finally {
    await h.close();
  }
  await assert.rejects(
    startHarness({ gateway: { host: '0.0.0.0', adminToken: null } }),
    /refusing to listen on 0\.0\.0\.0 without CLAWBACK_ADMIN_TOKEN/,
  );
});

test('keys through the JSON API: create (shown once), list, revoke; admin token required', async () => {
  const h = await startHarness();
  try {
    const url = `${h.gw.url}/clawback/api/keys`;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })).status, 401);
    const bad = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'ci', budget: '5/week' }) });
    assert.equal(bad.status, 400);
    const created = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'ci', tags: { team: 'infra' }, budget: '5/day' }) });
    assert.equal(created.status, 201);
    const c = (await created.json()) as { key: string; name: string; budget: { limit_usd: number; period: string } };
    assert.match(c.key, /^sk-clawback-/);
    assert.deepEqual(c.budget, { limit_usd: 5, period: 'day' });
    const listed = (await (await fetch(url, { headers: auth })).json()) as { keys: Record<string, unknown>[] };
    assert.equal(listed.keys.length, 1);
    assert.ok(!JSON.stringify(listed).includes(c.key), 'a listing never shows the key');
    assert.equal((await h.send(userMessage('hello'), { 'x-api-key': c.key })).status, 200);
    assert.ok(h.gw.monitor.ledger.getRules().some((r) => r.name === 'key:ci'), 'its budget is enforced at once');
    assert.equal((await fetch(`${url}/ci`, { method: 'DELETE', headers: auth })).status, 200);
    assert.equal((await h.send(userMessage('hello'), { 'x-api-key': c.key })).status, 401);
  } finally {
    await h.close();
  }
});
