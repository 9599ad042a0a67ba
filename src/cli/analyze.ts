/** `clawback analyze`: where the money went, and what each lever would have saved, from logs. */
import { writeFileSync } from 'node:fs';
import { aggregate, GROUP_BY, type GroupBy } from '../analyze/aggregate.js';
import { progressBar } from '../analyze/progress.js';
import type { Report } from '../analyze/report-json.js';
import { loadSources, SOURCE_KINDS } from '../analyze/sources.js';
import { configPath, loadConfigFile } from '../config.js';
import { bool, int, str, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

// The price catalog (and its schema library), the what-if replay and the reports are imported once the log scan
// has started: worker threads begin reading while the main thread loads them.
import type { Catalog } from '../pricing/catalog.js';

const flags: readonly FlagSpec[] = [
  { name: 'source', type: 'string', value: 'KIND', choices: SOURCE_KINDS, help: 'force the kind of every PATH instead of detecting it' },
  { name: 'since', type: 'string', value: 'DATE', help: 'only requests at or after DATE (2026-11-17, an ISO time, or 7d / 12h ago)' },
  { name: 'until', type: 'string', value: 'DATE', help: 'only requests before DATE (a bare date includes that whole day)' },
  { name: 'by', type: 'string', value: 'GROUP', choices: GROUP_BY, default: 'day', help: 'group the report by' },
  { name: 'top', type: 'int', value: 'N', default: 10, help: 'how many top sessions to list' },
  { name: 'html', type: 'string', value: 'FILE', help: 'also write a self-contained HTML report (charts, opens offline)' },
  { name: 'jobs', type: 'int', value: 'N', help: 'threads parsing logs, this one included (default: CPU count)' },
  { name: 'admin-key', type: 'string', value: 'KEY', help: 'Anthropic Admin API key for --source admin-api (or ANTHROPIC_ADMIN_KEY)' },
  { name: 'admin-url', type: 'string', value: 'URL', help: 'Admin API base URL (or ANTHROPIC_ADMIN_BASE_URL; default https://api.anthropic.com)' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file with price overrides (or CLAWBACK_CONFIG)' },
];

const REL = /^(\d+)([dhm])$/;

/** A --since/--until value to epoch ms. A bare date is midnight UTC; with `endOfDay`, the midnight after it. */
export function parseDate(v: string, flag: string, now: number, endOfDay = false): number {
  const rel = REL.exec(v);
  if (rel) return now - Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : rel[2] === 'h' ? 3_600_000 : 60_000);
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = Date.parse(`${v}T00:00:00Z`);
    if (Number.isFinite(t)) return endOfDay ? t + 86_400_000 : t;
  }
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError(`analyze: --${flag} must be a date such as 2026-11-17, an ISO time, or 7d (got "${v}")`);
  return t;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'where the money went, and what each lever would have saved',
  synopsis: '[PATH...] [--since DATE] [--until DATE] [--by day|week|month|model|session|project|key|tag] [--json] [--html FILE]',
  description:
    'Reads Claude Code logs (CLAUDE_CONFIG_DIR or ~/.claude/projects, subagents included), the gateway store\n' +
    '(SQLite file or Postgres URL), or generic JSONL/CSV usage files; prices every request exactly; and replays\n' +
    'the traffic under each lever (caching, routing, batching, output caps, compression, all together, oracle floor).\n' +
    'With --source admin-api it compares what the PATHs metered with what the Anthropic Admin API reports billed.',
  flags,
  async run(args, io) {
    const now = Date.now();
    const sinceFlag = str(args, 'since');
    const untilFlag = str(args, 'until');
    const since = sinceFlag === undefined ? undefined : parseDate(sinceFlag, 'since', now);
    const until = untilFlag === undefined ? undefined : parseDate(untilFlag, 'until', now, true);
    if (since !== undefined && until !== undefined && until <= since) throw new UsageError('analyze: --until must be after --since');
    const source = str(args, 'source') as (typeof SOURCE_KINDS)[number] | undefined;
    const jobs = int(args, 'jobs');
    const config = loadConfigFile(configPath(str(args, 'config'), io.env));
    const progress = io.stderr.isTTY === true && !bool(args, 'json') ? progressBar(io.stderr) : null;
    const paths = args.positionals;
    // The price catalog (and its schema library) loads while worker threads start, before the main thread reads;
    // with bad price overrides the reading stops. The what-if replay and the reports load then too.
    const abort = new AbortController();
    let catalog: Catalog | undefined;
    let catalogError: unknown;
    const later = Promise.all([import('../analyze/whatif/whatif.js'), import('../analyze/report-json.js'), import('../analyze/report-text.js'), import('../analyze/report-html.js')]);
    later.catch(() => undefined); // awaited below
    const loadPrices = async (): Promise<void> => {
      try {
        catalog ??= await (await import('../pricing/catalog.js')).catalogWithOverrides(config['pricing']);
        await later;
      } catch (err) {
        catalogError = err;
        abort.abort();
      }
    };
    const scan = loadSources(paths, {
      ...(source !== undefined && source !== 'admin-api' ? { source } : {}),
      env: io.env,
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
      afterStart: loadPrices,
      signal: abort.signal,
    });
    const { table, stats } = await scan.catch((err: unknown) => {
      throw catalogError ?? err;
    });
    progress?.done();
    if (catalog === undefined) await loadPrices(); // no Claude Code logs among the sources
    if (catalogError !== undefined || catalog === undefined) throw catalogError;
    const [{ whatIf }, { reportJson }, { reportText }, { reportHtml }] = await later;
    const agg = aggregate(table, catalog, { by: (str(args, 'by') ?? 'day') as GroupBy, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), topSessions: int(args, 'top') ?? 10 });
    const report: Report = { sources: stats, agg, whatif: whatIf(table, agg, catalog) };
    if (source === 'admin-api') {
      const key = str(args, 'admin-key') ?? io.env['ANTHROPIC_ADMIN_KEY'];
      if (!key) throw new UsageError('analyze: --source admin-api needs --admin-key or ANTHROPIC_ADMIN_KEY');
      const base = str(args, 'admin-url') ?? io.env['ANTHROPIC_ADMIN_BASE_URL'] ?? 'https://api.anthropic.com';
      const { reconcileAdminApi } = await import('../analyze/admin-api.js');
      report.reconciliation = await reconcileAdminApi({ baseUrl: base, key, agg, since: since ?? agg.first ?? now - 7 * 86_400_000, until: until ?? (agg.last !== null ? agg.last + 1 : now) });
    }
    const html = str(args, 'html');
    if (html !== undefined) writeFileSync(html, reportHtml(report));
    if (bool(args, 'json')) io.stdout.write(JSON.stringify(reportJson(report), null, 2) + '\n');
    else io.stdout.write(reportText(report, io.stdout.columns ?? 100) + (html !== undefined ? `\nHTML report written to ${html}\n` : ''));
    return 0;
  },
};

