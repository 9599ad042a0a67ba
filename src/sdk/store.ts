/**
 * The wrapper's usage store. A SQLite path opens at once (synchronously), so `client.clawback.store` is the real
 * store from the start; a postgres:// URL opens in the background, and records appended meanwhile are queued and
 * handed over once it is open. API keys are hashed with the salt the store keeps, so the gateway and the wrapper
 * writing to one store hash a key the same way. A store that fails to open is logged once; its records are dropped (metering never
 * breaks the caller's requests).
 */
import { randomBytes } from 'node:crypto';
import { isPostgresUrl, openStore } from '../store/open.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { RecordQuery, UsageRecord, UsageStore } from '../store/record.js';

export interface WrapperStore {
  readonly store: UsageStore;
  /** The salt of API-key hashes: the one kept in a SQLite store, else the given or a random one. */
  salt(): Promise<string>;
  /** Whether the wrapper opened the store (and so closes it). */
  readonly owned: boolean;
}

/** The salt a store keeps (SQLite answers at once, Postgres with a promise), or null when it keeps none. */
async function saltOf(store: UsageStore): Promise<string | null> {
  const s = store as UsageStore & { keySalt?: unknown };
  if (typeof s.keySalt !== 'function') return null;
  const v: unknown = await (s.keySalt as () => unknown).call(store);
  return typeof v === 'string' && v ? v : null;
}

export function wrapperStore(db: string | UsageStore, keySalt: string | undefined, warn: (m: string) => void): WrapperStore {
  const fallbackSalt = keySalt ?? randomBytes(16).toString('hex');
  if (typeof db !== 'string') return { store: db, owned: false, salt: async () => keySalt ?? (await saltOf(db)) ?? fallbackSalt };
  if (!isPostgresUrl(db)) {
    const s = openSqliteStore(db);
    return { store: s, owned: true, salt: async () => keySalt ?? s.keySalt() };
  }
  const opening = openStore(db).then(
    (s) => s,
    (err: unknown) => {
      warn(`cannot open the usage store: ${(err as Error).message}; requests are not recorded`);
      return null;
    },
  );
  const queued: UsageRecord[] = [];
  let open: UsageStore | null = null;
  let failed = false;
  void opening.then((s) => {
    open = s;
    failed = s === null;
    if (s) for (const r of queued.splice(0)) s.append(r);
    else queued.length = 0;
  });
  const store: UsageStore = {
    append(rec) {
      if (open) open.append(rec);
      else if (!failed) queued.push(rec);
    },
    async flush() {
      await (await opening)?.flush();
    },
    async query(q: RecordQuery) {
      const s = await opening;
      if (!s) throw new Error('the usage store could not be opened');
      return s.query(q);
    },
    async close() {
      await (await opening)?.close();
    },
  };
  return { store, owned: true, salt: async () => keySalt ?? (await saltOf((await opening) ?? store)) ?? fallbackSalt };
}
