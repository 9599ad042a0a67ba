/**
 * The monitor's own small SQLite database: virtual keys (hashed), alerts already raised (so each goes out once,
 * across restarts) and the secret that salts key hashes. It is separate from the usage store (which may be
 * Postgres) so `clawback keys` works without a running gateway. Where it lives: CLAWBACK_STATE, else beside a
 * SQLite usage store ("usage.db" -> "usage.monitor.db"; an in-memory store gets an in-memory one), else
 * ".clawback/monitor.db" in the working directory (a Postgres store).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

export type StateDb = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS monitor_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS monitor_keys (
  hash TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  last4 TEXT NOT NULL,
  tags TEXT NOT NULL,
  budget_pico TEXT,
  budget_period TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS monitor_alerts (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER,
  last_error TEXT
);
`;

export function openStateDb(path: string): StateDb {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}

/** Where the monitor database lives, given the usage store's `--db` value and the environment. */
export function stateDbPath(dbFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['CLAWBACK_STATE'];
  if (explicit) return explicit;
  const db = dbFlag ?? env['CLAWBACK_DB'];
  if (db === ':memory:') return ':memory:';
  if (db && !/^[a-z][a-z0-9+.-]*:\/\//i.test(db)) return db.endsWith('.db') ? `${db.slice(0, -3)}.monitor.db` : `${db}.monitor.db`;
  return '.clawback/monitor.db';
}

/** The secret that salts key hashes: CLAWBACK_KEY_SECRET if set, else one generated once and kept in the database. */
export function keySecret(db: StateDb, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['CLAWBACK_KEY_SECRET'];
  if (fromEnv) return fromEnv;
  const row = db.prepare('SELECT v FROM monitor_meta WHERE k = ?').get('key_secret') as { v: string } | undefined;
  if (row) return row.v;
  db.prepare('INSERT OR IGNORE INTO monitor_meta (k, v) VALUES (?, ?)').run('key_secret', randomBytes(32).toString('hex'));
  return (db.prepare('SELECT v FROM monitor_meta WHERE k = ?').get('key_secret') as { v: string }).v;
}
