/** `clawback cache`: prompt-cache forensics from the gateway's usage store, per session and per prefix. */
import { existsSync } from 'node:fs';
import { configPath, loadConfigFile } from '../config.js';
import { cacheForensics, hitRate, wasteRate, type CacheStats } from '../levers/cache-forensics.js';
import { catalogWithOverrides } from '../pricing/catalog.js';
import { formatUsd, picoToUsd } from '../pricing/money.js';
import { isPostgresUrl, openStore } from '../store/open.js';
import type { RecordQuery } from '../store/record.js';
import { bool, int, str, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'db', type: 'string', value: 'PATH_OR_URL', help: "the gateway's usage store: SQLite file or postgres:// URL (or CLAWBACK_DB; default ./clawback.db)" },
  { name: 'session', type: 'string', value: 'ID', help: 'only this session (x-clawback-session / Claude Code session id)' },
  { name: 'since', type: 'string', value: 'DATE', help: 'only requests from this date or time on (ISO 8601)' },
  { name: 'limit', type: 'int', value: 'N', default: 20, help: 'rows per table and misses listed' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file with price overrides (or CLAWBACK_CONFIG)' },
];

function statsJson(s: CacheStats): Record<string, unknown> {
  return {
    requests: s.requests,
    input_tokens: s.inputTokens,
    uncached_tokens: s.uncachedTokens,
    cache_write_5m_tokens: s.write5mTokens,
    cache_write_1h_tokens: s.write1hTokens,
    cache_read_tokens: s.readTokens,
    hit_rate: round(hitRate(s)),
    written_never_read_tokens: s.neverReadTokens,
    written_never_read_steady_tokens: s.neverReadSteadyTokens,
    never_read_share_steady: round(wasteRate(s, true)),
    net_saving_usd: picoToUsd(s.netSavingPico),
    lever_saving_usd: picoToUsd(s.leverSavingPico),
    misses: s.misses,
  };
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(head), ...rows.map(fmt)].join('\n') + '\n';
}

function statRow(name: string, s: CacheStats): string[] {
  const misses = Object.entries(s.misses).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    name, String(s.requests), String(s.write5mTokens + s.write1hTokens), String(s.readTokens), pct(hitRate(s)),
    `${s.neverReadTokens} (${pct(wasteRate(s, true))} steady)`, formatUsd(s.netSavingPico, 4), formatUsd(s.leverSavingPico, 4), misses || '-',
  ];
}

export const cacheCommand: Command = {
  name: 'cache',
  summary: 'prompt-cache forensics: hit rate, wasted writes, savings and why requests missed',
  synopsis: '[--db PATH_OR_URL] [--session ID] [--since DATE] [--limit N] [--json]',
  description:
    'Reads the gateway\'s usage store and prints, overall, per session and per prefix (the prompt up to its first\n' +
    'cache breakpoint): tokens written and read, the token-weighted hit rate (read / all input), written tokens no\n' +
    'later request read (and their share without the last request of each session), the net saving after the\n' +
    'write premium (input priced uncached minus as billed), what the caching lever saved against the client\'s own\n' +
    'caching, and for each miss its reason (cold, expired, lookback, below_minimum, buster:<kind> with the block).',
  flags,
  async run(args, io) {
    const db = str(args, 'db') ?? (io.env['CLAWBACK_DB'] || './clawback.db');
    if (!isPostgresUrl(db) && db !== ':memory:' && !existsSync(db)) throw new UsageError(`cache: no usage store at ${db} (give --db PATH, or run the gateway first)`);
    const since = str(args, 'since');
    const sinceMs = since === undefined ? undefined : Date.parse(since);
    if (sinceMs !== undefined && !Number.isFinite(sinceMs)) throw new UsageError(`cache: --since must be a date such as 2026-11-24 (got "${since}")`);
    const limit = int(args, 'limit') ?? 20;
    if (limit < 1) throw new UsageError('cache: --limit must be at least 1');
    const session = str(args, 'session');
    const catalog = await catalogWithOverrides(loadConfigFile(configPath(str(args, 'config'), io.env))['pricing']);
    const store = await openStore(db);
    let records;
    try {
      const q: RecordQuery = { ...(session !== undefined ? { sessionId: session } : {}), ...(sinceMs !== undefined ? { since: sinceMs } : {}) };
      records = await store.query(q);
    } finally {
      await store.close();
    }
    const f = cacheForensics(records, catalog);
    const bySize = (m: ReadonlyMap<string, CacheStats>): [string, CacheStats][] => [...m].sort((a, b) => b[1].inputTokens - a[1].inputTokens).slice(0, limit);
    const misses = f.misses.slice(-limit);
    if (bool(args, 'json')) {
      io.stdout.write(
        JSON.stringify({
          totals: statsJson(f.totals),
          sessions: bySize(f.sessions).map(([k, s]) => ({ session: k, ...statsJson(s) })),
          prefixes: bySize(f.prefixes).map(([k, s]) => ({ prefix: k, ...statsJson(s) })),
          misses: misses.map((m) => ({ id: m.id, started_at: new Date(m.startedAt).toISOString(), session: m.sessionId, reason: m.reason, detail: m.detail, input_tokens: m.inputTokens })),
        }) + '\n',
      );
      return 0;
    }
    if (f.totals.requests === 0) {
      io.stdout.write(`no Messages requests in ${db}${session !== undefined ? ` for session ${session}` : ''}\n`);
      return 0;
    }
    const head = ['', 'requests', 'written', 'read', 'hit rate', 'never read', 'net saving', 'lever saved', 'misses'];
    io.stdout.write(table(head, [statRow('all requests', f.totals)]));
    io.stdout.write('\nper session\n' + table(['session', ...head.slice(1)], bySize(f.sessions).map(([k, s]) => statRow(k, s))));
    io.stdout.write('\nper prefix (up to the first breakpoint)\n' + table(['prefix', ...head.slice(1)], bySize(f.prefixes).map(([k, s]) => statRow(k, s))));
    if (misses.length > 0) {
      io.stdout.write(`\nlast ${misses.length} misses\n`);
      io.stdout.write(table(['time', 'session', 'tokens', 'reason', 'detail'], misses.map((m) => [new Date(m.startedAt).toISOString(), m.sessionId ?? '-', String(m.inputTokens), m.reason, m.detail ?? ''])));
    }
    return 0;
  },
};
