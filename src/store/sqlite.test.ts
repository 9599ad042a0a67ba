// The SQLite usage store: exact round trip (bigint money, JSON columns), restart, grouped writes within the bound,
// retention, duplicate ids, migrations.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { UsageRecord } from './record.js';
import { MIGRATIONS } from './migrations.js';
import { COLUMNS, toRow } from './row.js';
import { openSqliteStore } from './sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'clawback-store-'));
  dirs.push(d);
  return join(d, 'usage.db');
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Polls `ok` until it holds or `ms` pass; whether it held. */
async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: 'req_01abc', requestId: 'req_up_1', messageId: 'msg_1', source: 'gateway', endpoint: 'messages', method: 'POST',
    path: '/v1/messages', startedAt: 1_795_000_000_000, firstByteAt: 1_795_000_000_120, endedAt: 1_795_000_000_900,
    requestedModel: 'claude-opus-4-8', servedModel: 'claude-sonnet-4-6', stream: true, status: 200, outcome: 'ok',
    stopReason: 'end_turn', errorType: null,
    usage: { input_tokens: 12, output_tokens: 345, cache_creation_input_tokens: 2000, cache_read_input_tokens: 50_000,
      cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1500 }, service_tier: 'standard',
      server_tool_use: { web_search_requests: 2 }, iterations: [{ type: 'compaction', input_tokens: 9, output_tokens: 3 }] },
    inputTokens: 12, outputTokens: 345, cacheWrite5mTokens: 500, cacheWrite1hTokens: 1500, cacheReadTokens: 50_000, webSearchRequests: 2,
    costPico: 9_007_199_254_740_993n, baselinePico: 9_007_199_254_741_993n, savingsPico: { routing: 1000n, caching: -7n },
    keyHash: 'ab'.repeat(16), keyLast4: 'wxyz', userId: '{"device":"d1"}', sessionId: 'sess-1', tags: { team: 'search', feature: 'faq' },
    batchId: null, customId: null, retries: 1, maxTokens: 4096,
    prefix: [{ i: 0, h: '0011223344556677', t: 1200, bp: '1h' }, { i: 1, h: '8899aabbccddeeff', t: 1300 }],
    decisions: [{ lever: 'routing', mode: 'enforce', applied: true, summary: 'opus -> sonnet', estimatedSavingPico: '1000', detail: { why: 'short' } }],
    promptText: null,
    ...over,
  };
}

// Every test runs against both ways of writing: the writer thread (the default for a file) and the calling thread.
for (const thread of [true, false]) {
  describe(`SQLite usage store (${thread ? 'writer thread' : 'calling thread'})`, () => {
    const open = (path: string, opts: Parameters<typeof openSqliteStore>[1] = {}): ReturnType<typeof openSqliteStore> => openSqliteStore(path, { ...opts, thread });

    it('stores every field and reads it back exactly, money beyond 2^53 included', async () => {
      const s = open(dbPath());
      s.append(record());
      const [back] = await s.query({});
      assert.deepEqual(back, record());
      await s.close();
    });

    it('reads back rows of every shape exactly: usual values and NULLs left out of the binding, look-alikes kept', async () => {
      // 96 records, each with its own combination of NULL and usual values (more shapes than the writer keeps
      // statements for), and values that only resemble the usual ones.
      const nulls = ['requestId', 'messageId', 'firstByteAt', 'stopReason', 'userId', 'sessionId', 'keyHash'] as const;
      const records = Array.from({ length: 96 }, (_, i) => {
        const r: Record<string, unknown> = { ...record({ id: `shape-${String(i).padStart(2, '0')}`, startedAt: 1_795_000_000_000 + i }) };
        nulls.forEach((f, b) => {
          if ((i >> b) % 2 === 1) r[f] = null;
        });
        if (i % 3 === 0) Object.assign(r, { tags: {}, savingsPico: {}, decisions: [], outcome: 'ok' });
        if (i % 3 === 1) Object.assign(r, { method: 'post', path: "/v1/messages'", tags: { '{}': '[]' }, outcome: 'error', source: 'sdk' });
        if (i % 5 === 0) Object.assign(r, { usage: null, prefix: [], maxTokens: null, endedAt: null, errorType: 'overloaded_error' });
        return r as unknown as UsageRecord;
      });
      const s = open(dbPath(), { flushMs: 5 });
      for (const r of records) s.append(r);
      await s.flush();
      const back = (await s.query({})).sort((a, b) => a.id.localeCompare(b.id));
      assert.equal(back.length, records.length);
      back.forEach((r, i) => assert.deepEqual(r, records[i], r.id));
      await s.close();
    });

    it('survives a restart: records, schema version and the key salt persist', async () => {
      const p = dbPath();
      const a = open(p);
      const salt = a.keySalt();
      assert.match(salt, /^[0-9a-f]{32}$/);
      a.append(record({ id: 'r1' }));
      await a.close();
      const b = open(p);
      assert.equal(b.keySalt(), salt);
      assert.deepEqual((await b.query({})).map((r) => r.id), ['r1']);
      await b.close();
      const raw = new Database(p, { readonly: true });
      assert.deepEqual(raw.prepare('SELECT version FROM schema_migrations').all(), [{ version: 1 }, { version: 2 }]);
      assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      assert.equal(raw.pragma('page_size', { simple: true }), 16_384, 'a new database gets 16 KiB pages');
      raw.close();
    });

    it('queues appends off the request path and writes them within flushMs', async () => {
      const p = dbPath();
      const s = open(p, { flushMs: 50 });
      const reader = new Database(p, { readonly: true });
      const count = (): number => (reader.prepare('SELECT COUNT(*) AS n FROM usage_records').get() as { n: number }).n;
      s.append(record({ id: 'a' }));
      s.append(record({ id: 'b' }));
      assert.equal(s.pending, 2);
      assert.equal(count(), 0, 'append does no I/O');
      await sleep(20);
      assert.equal(count(), 0, 'grouped: nothing is written before the oldest record has waited flushMs');
      // The deadline is 50 ms after the first append; the slack is for a loaded machine, not part of the bound.
      assert.ok(await until(() => count() === 2, 1_000), 'on disk within the bound, seen by another connection');
      assert.equal(s.pending, 0);
      reader.close();
      await s.close();
    });

    it('a process that exits or throws with records queued has written them first', async () => {
      for (const how of ['process.exit(0)', "setTimeout(() => { throw new Error('boom'); }, 5)"]) {
        const p = dbPath();
        const recs = JSON.stringify(['x1', 'x2', 'x3'].map((id) => record({ id })), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        // The child queues with a flush interval of a minute, so only the exit handler can have written the records.
        const script =
          `import { openSqliteStore } from ${JSON.stringify(new URL('./sqlite.js', import.meta.url).href)};\n` +
          `const s = openSqliteStore(${JSON.stringify(p)}, { flushMs: 60000, thread: ${thread} });\n` +
          `for (const r of JSON.parse(${JSON.stringify(recs)}, (_k, v) => typeof v === 'string' && /^-?\\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) s.append(r);\n` +
          `${how};\n`;
        const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
        assert.equal(child.status, how.startsWith('process') ? 0 : 1, child.stderr);
        const raw = new Database(p, { readonly: true });
        const rows = raw.prepare('SELECT id, cost_pico FROM usage_records ORDER BY id').safeIntegers(true).all();
        raw.close();
        assert.deepEqual(rows, ['x1', 'x2', 'x3'].map((id) => ({ id, cost_pico: record().costPico })), how);
      }
    });

    it('writes at once when maxBatch records wait', async () => {
      const p = dbPath();
      const s = open(p, { flushMs: 60_000, maxBatch: 3 });
      for (const id of ['a', 'b', 'c']) s.append(record({ id }));
      // flushMs is a minute: written at all within a few seconds means written at once.
      assert.ok(await until(() => s.pending === 0, 5_000));
      const raw = new Database(p, { readonly: true });
      assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM usage_records').get() as { n: number }).n, 3);
      raw.close();
      await s.close();
    });

    it('ignores a duplicate id (a batch result metered twice is stored once)', async () => {
      const s = open(dbPath());
      s.append(record({ id: 'dup', costPico: 5n }));
      s.append(record({ id: 'dup', costPico: 5n }));
      await s.flush();
      s.append(record({ id: 'dup', costPico: 5n }));
      assert.equal((await s.query({})).length, 1);
      await s.close();
    });

    it('filters by time, session and key; orders and limits', async () => {
      const s = open(dbPath());
      for (let i = 0; i < 5; i++) s.append(record({ id: `r${i}`, startedAt: 1000 + i, sessionId: i % 2 ? 'odd' : 'even', keyHash: i < 2 ? 'k1' : 'k2' }));
      const ids = async (q: Parameters<typeof s.query>[0]): Promise<string[]> => (await s.query(q)).map((r) => r.id);
      assert.deepEqual(await ids({ since: 1001, until: 1004 }), ['r1', 'r2', 'r3']);
      assert.deepEqual(await ids({ sessionId: 'odd' }), ['r1', 'r3']);
      assert.deepEqual(await ids({ keyHash: 'k1' }), ['r0', 'r1']);
      assert.deepEqual(await ids({ newestFirst: true, limit: 2 }), ['r4', 'r3']);
      await s.close();
    });

    it('deletes records older than the retention setting, at open and on demand', async () => {
      const p = dbPath();
      const now = Date.now();
      const a = open(p);
      a.append(record({ id: 'old', startedAt: now - 40 * 86_400_000 }));
      a.append(record({ id: 'new', startedAt: now - 86_400_000 }));
      await a.close();
      const b = open(p, { retentionDays: 30 });
      assert.deepEqual((await b.query({})).map((r) => r.id), ['new']);
      assert.equal(b.applyRetention(now + 30 * 86_400_000), 1);
      await b.close();
    });

    it('upgrades a version 1 database: its records stay, sessions and batches are indexed only where set', async () => {
      const p = dbPath();
      const raw = new Database(p);
      raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      for (const sql of MIGRATIONS[0]!.sql) raw.exec(sql);
      raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
      const insert = raw.prepare(`INSERT INTO usage_records (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
      insert.run(toRow(record({ id: 'r1', sessionId: 's1' })));
      insert.run(toRow(record({ id: 'r2', sessionId: null, batchId: 'msgbatch_1', startedAt: 1_795_000_000_001 })));
      raw.close();

      const s = open(p);
      assert.deepEqual((await s.query({ sessionId: 's1' })).map((r) => r.id), ['r1']);
      s.append(record({ id: 'r3', startedAt: 1_795_000_000_002 }));
      assert.deepEqual((await s.query({})).map((r) => r.id), ['r1', 'r2', 'r3']);
      await s.close();
      const db = new Database(p, { readonly: true });
      assert.equal(db.pragma('page_size', { simple: true }), 4096, 'an existing database keeps its page size');
      assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(), [{ version: 1 }, { version: 2 }]);
      const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
      assert.match(plan("SELECT id FROM usage_records WHERE session_id = 's1' ORDER BY started_at"), /usage_records_session/);
      assert.match(plan("SELECT id FROM usage_records WHERE batch_id = 'msgbatch_1'"), /usage_records_batch/);
      // Partial: a row without a session (or batch) has no entry to write in that index.
      const indexSql = (name: string): string => (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(name) as { sql: string }).sql;
      assert.match(indexSql('usage_records_session'), /WHERE session_id IS NOT NULL$/);
      assert.match(indexSql('usage_records_batch'), /WHERE batch_id IS NOT NULL$/);
      db.close();
    });

    it('refuses a database written by a newer clawback', () => {
      const p = dbPath();
      const raw = new Database(p);
      raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      raw.prepare('INSERT INTO schema_migrations VALUES (99, ?, 0)').run('future');
      raw.close();
      assert.throws(() => open(p), /schema version 99/);
    });

    it('checks its options once', () => {
      assert.throws(() => open(':memory:', { maxBatch: 0 }), /maxBatch/);
      assert.throws(() => open(':memory:', { flushMs: -1 }), /flushMs/);
    });
  });
}
