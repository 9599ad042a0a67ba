// The Postgres usage store against the local PostgreSQL (127.0.0.1:5432, database "test"), in a schema of its own:
// exact round trip, restart, duplicates, filters, and the gateway writing to it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import type { UsageRecord } from './record.js';
import { openStore } from './open.js';
import { openPostgresStore } from './postgres.js';

const URL_ = process.env['CLAWBACK_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `clawback_t_${randomBytes(4).toString('hex')}`;
let emu: RunningEmulator;

before(async () => {
  emu = await startEmulator({ port: 0 });
});
after(async () => {
  await emu.close();
  const c = new pg.Client({ connectionString: URL_ });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
});

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: 'req_pg_1', requestId: 'req_up', messageId: 'msg_1', source: 'gateway', endpoint: 'messages', method: 'POST', path: '/v1/messages',
    startedAt: 1_795_000_000_000, firstByteAt: 1_795_000_000_100, endedAt: 1_795_000_000_500, requestedModel: 'claude-sonnet-4-6',
    servedModel: 'claude-sonnet-4-6', stream: false, status: 200, outcome: 'ok', stopReason: 'end_turn', errorType: null,
    usage: { input_tokens: 10, output_tokens: 20, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 7 } },
    inputTokens: 10, outputTokens: 20, cacheWrite5mTokens: 0, cacheWrite1hTokens: 7, cacheReadTokens: 0, webSearchRequests: 0,
    costPico: 9_007_199_254_740_993n, baselinePico: 9_007_199_254_740_999n, savingsPico: { caching: 6n }, keyHash: 'k', keyLast4: 'abcd',
    userId: null, sessionId: 's1', tags: { team: 'x' }, batchId: null, customId: null, retries: 0, maxTokens: 100,
    prefix: [{ i: 0, h: 'ffff', t: 12, bp: '5m' }], decisions: [], promptText: null, ...over,
  };
}

describe('Postgres usage store', () => {
  it('round-trips a record exactly, ignores duplicates, filters and survives a restart', async () => {
    const a = await openPostgresStore(URL_, { schema, flushMs: 20 });
    const salt = await a.keySalt();
    a.append(record());
    a.append(record());
    a.append(record({ id: 'req_pg_2', startedAt: 1_795_000_001_000, sessionId: 's2' }));
    assert.deepEqual((await a.query({ sessionId: 's1' }))[0], record());
    assert.deepEqual((await a.query({ newestFirst: true })).map((r) => r.id), ['req_pg_2', 'req_pg_1']);
    assert.deepEqual((await a.query({ since: 1_795_000_000_500 })).map((r) => r.id), ['req_pg_2']);
    await a.close();
    const b = await openPostgresStore(URL_, { schema });
    assert.equal(await b.keySalt(), salt);
    assert.equal((await b.query({})).length, 2);
    await b.close();
  });

  it('sets its schema when each connection starts, keeping options given in the URL, and prints no warning', async () => {
    // In a process of its own: pg warns once per process, so an earlier test here could hide the warning.
    const app = `clawback_t_${randomBytes(4).toString('hex')}`;
    const url = `${URL_}?options=${encodeURIComponent(`-c application_name=${app}`)}`;
    const fromSource = import.meta.url.endsWith('.ts');
    const mod = new URL(`./postgres.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
    const script = `
      const { openPostgresStore } = await import(${JSON.stringify(mod)});
      const s = await openPostgresStore(${JSON.stringify(url)}, { schema: ${JSON.stringify(schema)}, flushMs: 20, connections: 2 });
      const rec = ${JSON.stringify({ ...record({ id: 'req_pg_opts' }), costPico: '0', baselinePico: '0', savingsPico: {} })};
      s.append({ ...rec, costPico: 0n, baselinePico: 0n });
      await s.flush();
      await s.close();`;
    const child = spawnSync(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stderr, '', 'nothing on stderr (pg warns when a query is sent while another runs)');
    const c = new pg.Client({ connectionString: URL_ });
    await c.connect();
    const inSchema = await c.query(`SELECT id FROM ${schema}.usage_records WHERE id = 'req_pg_opts'`);
    await c.end();
    assert.equal(inSchema.rowCount, 1, 'written into the schema');

    // The URL's own options still reach the server (the schema is added to them, not put in their place).
    const s = await openPostgresStore(url, { schema, connections: 1 });
    assert.equal((await s.query({})).some((r) => r.id === 'req_pg_opts'), true);
    const c2 = new pg.Client({ connectionString: URL_ });
    await c2.connect();
    const mine = await c2.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [app]);
    await c2.end();
    await s.close();
    assert.equal((mine.rows[0] as { n: number }).n, 1);
  });

  it('is what the gateway meters into, at the ledger cost', async () => {
    // A postgres:// --db value opens the Postgres store (here an unreachable one, so the error names it).
    await assert.rejects(openStore('postgres://postgres@127.0.0.1:1/test'), /cannot open postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    const pgStore = await openPostgresStore(URL_, { schema, flushMs: 20 });
    const gw = await startGateway({ port: 0, upstream: emu.url, store: pgStore });
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': 'sk-pg-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 30, messages: [{ role: 'user', content: 'hello postgres' }] }),
    });
    assert.equal(r.status, 200);
    await r.text();
    await gw.drain();
    const rid = r.headers.get('request-id');
    const rec = (await pgStore.query({})).find((x) => x.requestId === rid);
    assert.ok(rec);
    assert.equal(rec.costPico, emu.ledger.entries().find((e) => e.requestId === rid)!.costPico);
    await gw.close();
    await pgStore.close();
  });
});
