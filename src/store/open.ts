/** Opens the usage store a `--db` value names: a postgres:// (or postgresql://) URL, else a SQLite file path. */
import type { UsageStore } from './record.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openStore(db: string, opts: SqliteStoreOptions = {}): Promise<UsageStore> {
  if (isPostgresUrl(db)) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(db, opts);
  }
  return openSqliteStore(db, opts);
}
