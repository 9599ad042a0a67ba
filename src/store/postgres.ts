/** The usage store on PostgreSQL (`--db postgres://...`): same table and columns as SQLite (migrations.ts). */
import type { UsageStore } from './record.js';
import type { SqliteStoreOptions } from './sqlite.js';

export async function openPostgresStore(url: string, _opts: SqliteStoreOptions = {}): Promise<UsageStore> {
  throw new Error(`store: PostgreSQL is not supported yet (${new URL(url).protocol})`);
}
