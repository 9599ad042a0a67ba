/**
 * The usage store's schema, as an ordered list of migrations. Each runs once, in a transaction, and is recorded in
 * `schema_migrations`; a database written by a newer clawback (a version we do not know) is refused rather than
 * misread. The SQL is written to run on both SQLite and PostgreSQL (TEXT, BIGINT and INTEGER only).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'usage records',
    sql: [
      `CREATE TABLE IF NOT EXISTS usage_records (
        id TEXT PRIMARY KEY,
        request_id TEXT,
        message_id TEXT,
        source TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        first_byte_at BIGINT,
        ended_at BIGINT,
        requested_model TEXT,
        served_model TEXT,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        stop_reason TEXT,
        error_type TEXT,
        usage TEXT,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_write_5m_tokens BIGINT NOT NULL,
        cache_write_1h_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        web_search_requests BIGINT NOT NULL,
        cost_pico BIGINT NOT NULL,
        baseline_pico BIGINT NOT NULL,
        savings TEXT NOT NULL,
        key_hash TEXT,
        key_last4 TEXT,
        user_id TEXT,
        session_id TEXT,
        tags TEXT NOT NULL,
        batch_id TEXT,
        custom_id TEXT,
        retries INTEGER NOT NULL,
        max_tokens BIGINT,
        prefix TEXT NOT NULL,
        decisions TEXT NOT NULL,
        prompt_text TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS usage_records_started ON usage_records (started_at)',
      'CREATE INDEX IF NOT EXISTS usage_records_session ON usage_records (session_id, started_at)',
      'CREATE INDEX IF NOT EXISTS usage_records_key ON usage_records (key_hash, started_at)',
      'CREATE INDEX IF NOT EXISTS usage_records_batch ON usage_records (batch_id)',
      'CREATE TABLE IF NOT EXISTS clawback_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
  },
  {
    // Most records have no session (only Claude Code sends one) and no batch: indexing their NULLs cost an index
    // insert each per record (about 0.7 us of the writer's ~9 us a row) for entries no query reads. `session_id = ?`
    // implies NOT NULL, so both SQLite and PostgreSQL still use the index for it.
    version: 2,
    name: 'partial session and batch indexes',
    sql: [
      'DROP INDEX IF EXISTS usage_records_session',
      'CREATE INDEX IF NOT EXISTS usage_records_session ON usage_records (session_id, started_at) WHERE session_id IS NOT NULL',
      'DROP INDEX IF EXISTS usage_records_batch',
      'CREATE INDEX IF NOT EXISTS usage_records_batch ON usage_records (batch_id) WHERE batch_id IS NOT NULL',
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
