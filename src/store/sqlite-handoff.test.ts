// The writer thread: its failure path (a thread that dies before its connection is open loses no record; this
// thread writes them, and every later one, instead) and the hourly retention it runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from './sqlite.js';
import { threadSink } from './sqlite-handoff.js';
import { COLUMNS, type Cell } from './row.js';

function row(id: string, startedAt = 1): Cell[] {
  const cells: Cell[] = COLUMNS.map(() => null);
  const set = (c: (typeof COLUMNS)[number], v: Cell): void => {
    cells[COLUMNS.indexOf(c)] = v;
  };
  for (const [c, v] of [['id', id], ['source', 'gateway'], ['endpoint', 'messages'], ['method', 'POST'], ['path', '/v1/messages'], ['outcome', 'ok']] as const) set(c, v);
  for (const c of ['stream', 'status', 'input_tokens', 'output_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens', 'web_search_requests', 'retries'] as const) set(c, 1);
  set('started_at', startedAt);
  set('cost_pico', 123_456_789_012_345_678n);
  set('baseline_pico', 123_456_789_012_345_678n);
  for (const c of ['savings', 'tags'] as const) set(c, '{}');
  for (const c of ['prefix', 'decisions'] as const) set(c, '[]');
  return cells;
}

describe('SQLite store writer thread', () => {
  it('a thread that fails at start loses nothing: this thread writes what it was handed and what comes later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawback-handoff-'));
    try {
      const path = join(dir, 'usage.db');
      openSqliteStore(path, { thread: false, flushOnExit: false }).close(); // creates the schema
      const db = new Database(path);
      const broken = new URL(`data:text/javascript,${encodeURIComponent("throw new Error('no thread today')")}`);
      const errors: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        errors.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      try {
        const sink = threadSink(path, db, { flushMs: 10, maxBatch: 500, durability: 'normal' }, broken);
        sink.push(row('before'));
        await new Promise((r) => setTimeout(r, 100)); // handed over, then the thread died
        sink.push(row('after'));
        await sink.flush();
        assert.equal(sink.pending, 0);
        await sink.close();
      } finally {
        process.stderr.write = write;
      }
      assert.ok(errors.some((e) => /writer thread failed \(no thread today\)/.test(e)), errors.join(''));
      const rows = db.prepare('SELECT id, cost_pico FROM usage_records ORDER BY id').safeIntegers(true).all();
      assert.deepEqual(rows, [{ id: 'after', cost_pico: 123_456_789_012_345_678n }, { id: 'before', cost_pico: 123_456_789_012_345_678n }]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes old records on the thread, in order with the writes before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawback-handoff-'));
    try {
      const path = join(dir, 'usage.db');
      openSqliteStore(path, { thread: false, flushOnExit: false }).close();
      const db = new Database(path);
      const sink = threadSink(path, db, { flushMs: 60_000, maxBatch: 500, durability: 'normal' });
      sink.push(row('old', 1_000));
      sink.push(row('new', 5_000));
      assert.equal(sink.retain?.(2_000), true);
      await sink.flush();
      assert.deepEqual(db.prepare('SELECT id FROM usage_records').all(), [{ id: 'new' }]);
      await sink.close();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
