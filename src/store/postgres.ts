/**
 * The usage store on PostgreSQL (`--db postgres://user@host:5432/db`): the same tables and columns as SQLite
 * (migrations.ts), money as BIGINT pico-dollars. Writes are grouped like the SQLite store's: `append` queues, and the
 * queue goes out every `flushMs` (or at `maxBatch` records) as one multi-row INSERT ... ON CONFLICT DO NOTHING in
 * one transaction. There is no synchronous flush on exit (the driver is asynchronous): the gateway's SIGTERM/SIGINT
 * handler closes the store, which writes the queue first.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LATEST_VERSION, MIGRATIONS } from './migrations.js';
import type { RecordQuery, UsageStore } from './record.js';
import type { UsageRecord } from './record.js';
import { COLUMNS, fromRow, toRow, type Cell, type Column } from './row.js';
import type { SqliteStoreOptions } from './sqlite.js';

export interface PostgresStoreOptions extends Pick<SqliteStoreOptions, 'flushMs' | 'maxBatch' | 'retentionDays'> {
  /** Schema to use (created if missing); default: the connection's search_path. */
  readonly schema?: string;
  /** Pool size. */
  readonly connections?: number;
}

export interface PostgresUsageStore extends UsageStore {
  keySalt(): Promise<string>;
  applyRetention(now?: number): Promise<number>;
  readonly pending: number;
}

const DAY_MS = 86_400_000;
// Postgres allows 65535 bind parameters per statement.
const ROWS_PER_INSERT = Math.floor(65_000 / COLUMNS.length);

/**
 * The pool's connection settings, with `schema` (if any) as the search_path of every connection from its start-up
 * packet: a `SET` sent from the pool's connect event overlaps the pool's first query on that client (pg 8 queues
 * it with a deprecation warning; pg 9 will refuse). Options given in the URL are kept (the URL's would override ours).
 */
function withSearchPath(url: string, schema: string | undefined): { connectionString: string; options?: string } {
  if (!schema) return { connectionString: url };
  let fromUrl: string | null = null;
  let connectionString = url;
  try {
    const u = new URL(url);
    fromUrl = u.searchParams.get('options');
    if (fromUrl !== null) {
      u.searchParams.delete('options');
      connectionString = u.toString();
    }
  } catch {
    // not a URL pg-connection-string parses as one (e.g. a socket path): passed on as given
  }
  return { connectionString, options: `${fromUrl ? `${fromUrl} ` : ''}-c search_path=${schema}` };
}

export async function openPostgresStore(
  url: string,
  { flushMs = 200, maxBatch = 500, retentionDays = 0, schema, connections = 4 }: PostgresStoreOptions = {},
): Promise<PostgresUsageStore> {
  if (!Number.isFinite(flushMs) || flushMs < 0) throw new Error(`store: flushMs must be >= 0 (got ${flushMs})`);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`store: maxBatch must be a whole number >= 1 (got ${maxBatch})`);
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`store: schema must be a plain lower-case identifier (got "${schema}")`);
  const pool = new pg.Pool({ ...withSearchPath(url, schema), max: connections });
  pool.on('error', (err) => process.stderr.write(`clawback store: postgres: ${err.message}\n`));
  try {
    if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw new Error(`store: cannot open ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }

  let queue: UsageRecord[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  let salt: string | null = null;

  async function write(batch: UsageRecord[]): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
        const rows = batch.slice(i, i + ROWS_PER_INSERT).map(toRow);
        const params: Cell[] = [];
        const values = rows.map((r) => `(${r.map((c) => (params.push(c), `$${params.length}`)).join(', ')})`);
        await client.query(`INSERT INTO usage_records (${COLUMNS.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (id) DO NOTHING`, params);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = queue;
    queue = [];
    writing = writing.then(() => (batch.length ? write(batch) : undefined));
    return writing;
  }

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      flush().catch((err: unknown) => process.stderr.write(`clawback store: write failed: ${(err as Error).message}\n`));
    }, queue.length >= maxBatch ? 0 : flushMs);
  }

  async function applyRetention(now = Date.now()): Promise<number> {
    if (retentionDays <= 0) return 0;
    const r = await pool.query('DELETE FROM usage_records WHERE started_at < $1', [now - retentionDays * DAY_MS]);
    return r.rowCount ?? 0;
  }
  await applyRetention();
  const retentionTimer = retentionDays > 0 ? setInterval(() => void applyRetention().catch(() => undefined), 3_600_000).unref() : null;

  return {
    get pending() {
      return queue.length;
    },
    append(rec) {
      if (closed) throw new Error('store: append after close');
      queue.push(rec);
      if (queue.length >= maxBatch && timer) {
        clearTimeout(timer);
        timer = null;
      }
      schedule();
    },
    flush,
    async keySalt() {
      if (salt !== null) return salt;
      await pool.query('INSERT INTO clawback_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', ['key_salt', randomBytes(16).toString('hex')]);
      const r = await pool.query<{ value: string }>('SELECT value FROM clawback_meta WHERE key = $1', ['key_salt']);
      salt = r.rows[0]!.value;
      return salt;
    },
    applyRetention,
    async query(q: RecordQuery) {
      await flush();
      const where: string[] = [];
      const params: (string | number)[] = [];
      const add = (sql: string, v: string | number): void => {
        params.push(v);
        where.push(sql.replace('?', `$${params.length}`));
      };
      if (q.since !== undefined) add('started_at >= ?', q.since);
      if (q.until !== undefined) add('started_at < ?', q.until);
      if (q.sessionId !== undefined) add('session_id = ?', q.sessionId);
      if (q.keyHash !== undefined) add('key_hash = ?', q.keyHash);
      const order = q.newestFirst ? 'DESC' : 'ASC';
      const sql =
        `SELECT * FROM usage_records${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at ${order}, id ${order}` +
        (q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '');
      const r = await pool.query<Partial<Record<Column, Cell>>>(sql, params);
      return r.rows.map(fromRow);
    },
    async close() {
      if (closed) return;
      closed = true;
      await flush();
      if (retentionTimer) clearInterval(retentionTimer);
      await pool.end();
    },
  };
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // One gateway migrates at a time (others wait on the advisory lock, then find nothing to do).
    await client.query('SELECT pg_advisory_lock(7346101)');
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const r = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = r.rows[0]?.v ?? 0;
    if (current > LATEST_VERSION) {
      throw new Error(`the database is at schema version ${current}, newer than this clawback knows (${LATEST_VERSION}); upgrade clawback`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      for (const s of m.sql) await client.query(s);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      await client.query('COMMIT');
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.query('SELECT pg_advisory_unlock(7346101)').catch(() => undefined);
    client.release();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the database';
  }
}
