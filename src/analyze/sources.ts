/**
 * Which kind of source a PATH is, and reading any mix of them into one RecordTable. A folder is Claude Code logs;
 * a postgres:// URL or a file starting with the SQLite header is the gateway store; a .csv file is generic CSV; a
 * JSONL file is Claude Code's if its first object looks like a Claude Code line (sessionId + type), else generic.
 * `--source` forces the kind.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { claudeCodeRoots, readClaudeCode, type ReadOptions } from './claude-code.js';
import type { SourceKind, SourceStats } from './record.js';
import { RecordTable } from './record-table.js';

export const SOURCE_KINDS = ['claude-code', 'store', 'jsonl', 'csv', 'admin-api'] as const;

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Same test as store/open.ts, without loading the store (and its native SQLite module) for log files. */
function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

export function detectKind(path: string): Exclude<SourceKind, 'admin-api'> {
  if (isPostgresUrl(path)) return 'store';
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new SourceError(`cannot read ${path}: no such file or folder`);
  }
  if (st.isDirectory()) return 'claude-code';
  const start = head(path, 64 * 1024);
  if (start.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000') return 'store';
  if (/\.csv$/i.test(path)) return 'csv';
  const firstLine = start.toString('utf8').split('\n').find((l) => l.trim() !== '') ?? '';
  if (/"sessionId"\s*:/.test(firstLine) && /"type"\s*:/.test(firstLine)) return 'claude-code';
  return 'jsonl';
}

export interface LoadOptions extends ReadOptions {
  readonly source?: Exclude<SourceKind, 'admin-api'>;
  readonly env?: NodeJS.ProcessEnv;
  readonly since?: number;
  readonly until?: number;
}

/** Reads every PATH (with none: the Claude Code logs) into one table; duplicates across sources are dropped. */
export async function loadSources(paths: readonly string[], opts: LoadOptions = {}): Promise<{ table: RecordTable; stats: SourceStats[] }> {
  const table = new RecordTable();
  const stats: SourceStats[] = [];
  let targets = paths;
  if (targets.length === 0) {
    targets = claudeCodeRoots(opts.env ?? process.env);
    if (targets.length === 0) throw new SourceError('no Claude Code logs found (looked in CLAUDE_CONFIG_DIR, ~/.config/claude and ~/.claude); pass a PATH');
  }
  const claude: string[] = [];
  for (const p of targets) {
    const kind = opts.source ?? detectKind(p);
    if (kind === 'claude-code') claude.push(p);
    else if (kind === 'store') stats.push(await (await import('./store-source.js')).readStore(p, table, { ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}) }));
    else stats.push((await (await import('./generic.js')).readGeneric(p, kind, table)).stats); // its schema library only when needed
  }
  if (claude.length > 0) stats.unshift((await readClaudeCode(claude, { ...opts, table })).stats);
  return { table, stats };
}
