/**
 * `npm run bench:savings`: what the caching lever saves on the caching workloads (src/levers/cache-workloads.ts),
 * sent through gateway -> emulator on a manual clock, by a naive client (no cache_control) and in Claude Code's own
 * pattern. Each run gets a fresh emulator and store. Prints, per workload and client: cost without clawback, with
 * it, the share of input tokens read from cache, and the written tokens never read (steady state).
 * Options: --sessions N (default 12), --upgrade-client-ttl (let the lever raise a client's 5m breakpoints to 1h),
 * --json.
 */
import { ManualClock } from '../src/emulator/clock.js';
import { startEmulator } from '../src/emulator/server.js';
import { startGateway } from '../src/gateway/server.js';
import { createCachingLever } from '../src/levers/caching.js';
import { cacheForensics, hitRate, wasteRate } from '../src/levers/cache-forensics.js';
import { driveWorkload, workload, type ClientStyle, type WorkloadName } from '../src/levers/cache-workloads.js';
import { createPlanner } from '../src/levers/planner.js';
import { getDefaultCatalog } from '../src/pricing/catalog.js';
import { formatUsd, picoToUsd } from '../src/pricing/money.js';
import { openSqliteStore } from '../src/store/sqlite.js';

export interface RunResult {
  readonly costPico: bigint;
  readonly hitRate: number;
  readonly wasteSteady: number;
  readonly wasteAll: number;
  readonly requests: number;
  readonly leverSavingPico: bigint;
}

/** Runs one workload through a fresh emulator and gateway, with or without the caching lever. */
export async function runWorkload(name: WorkloadName, style: ClientStyle, withClawback: boolean, count?: number, upgradeClientTtl = false): Promise<RunResult> {
  const clock = new ManualClock();
  const start = clock.now();
  const emulator = await startEmulator({ port: 0, clock });
  const store = openSqliteStore(':memory:', { flushMs: 0, flushOnExit: false });
  const planner = withClawback ? createPlanner([createCachingLever({ now: () => clock.now(), upgradeClientTtl })]) : undefined;
  const gateway = await startGateway({ port: 0, upstream: emulator.url, store, ...(planner ? { planner } : {}) });
  try {
    const steps = workload(name, { style, ...(count !== undefined ? { count } : {}) });
    await driveWorkload({ url: gateway.url, steps, advanceTo: (ms) => clock.set(start + ms) });
    await gateway.drain();
    const records = await store.query({});
    const f = cacheForensics(records, getDefaultCatalog());
    return {
      costPico: records.reduce((s, r) => s + r.costPico, 0n),
      hitRate: hitRate(f.totals),
      wasteSteady: wasteRate(f.totals, true),
      wasteAll: wasteRate(f.totals, false),
      requests: records.length,
      leverSavingPico: f.totals.leverSavingPico,
    };
  } finally {
    await gateway.close();
    await store.close();
    await emulator.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const si = args.indexOf('--sessions');
  const sessions = si >= 0 ? Number(args[si + 1]) : 12;
  const upgrade = args.includes('--upgrade-client-ttl');
  if (!Number.isInteger(sessions) || sessions < 1) throw new Error('--sessions takes a whole number >= 1');
  const rows: Record<string, unknown>[] = [];
  const names: WorkloadName[] = ['support', 'agent', 'docs'];
  for (const name of names) {
    for (const style of ['naive', 'claude-code'] as const) {
      const count = name === 'docs' ? sessions * 3 : name === 'agent' ? Math.max(1, Math.ceil(sessions / 2)) : sessions;
      const without = await runWorkload(name, style, false, count);
      const withLever = await runWorkload(name, style, true, count, upgrade);
      rows.push({
        workload: name, client: style, requests: withLever.requests,
        without_usd: picoToUsd(without.costPico), with_usd: picoToUsd(withLever.costPico),
        saved_pct: without.costPico > 0n ? Number(((without.costPico - withLever.costPico) * 10_000n) / without.costPico) / 100 : 0,
        read_share_without: round(without.hitRate), read_share_with: round(withLever.hitRate),
        never_read_steady_with: round(withLever.wasteSteady), never_read_all_with: round(withLever.wasteAll),
        lever_attributed_usd: picoToUsd(withLever.leverSavingPico),
        _without: without.costPico, _with: withLever.costPico,
      });
    }
  }
  if (json) {
    process.stdout.write(JSON.stringify(rows.map(({ _without: _a, _with: _b, ...r }) => r), null, 2) + '\n');
    return;
  }
  const head = ['workload', 'client', 'requests', 'without', 'with', 'saved', 'cache-read share (without -> with)', 'never read (steady / all)'];
  const table = rows.map((r) => [
    String(r['workload']), String(r['client']), String(r['requests']),
    formatUsd(r['_without'] as bigint, 4), formatUsd(r['_with'] as bigint, 4), `${String(r['saved_pct'])}%`,
    `${pct(r['read_share_without'] as number)} -> ${pct(r['read_share_with'] as number)}`,
    `${pct(r['never_read_steady_with'] as number)} / ${pct(r['never_read_all_with'] as number)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i < 2 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  process.stdout.write(`caching lever, gateway -> emulator, claude-sonnet-4-6, ${sessions} sessions per workload${upgrade ? ', client TTLs may be raised' : ''}\n`);
  process.stdout.write([line(head), ...table.map(line)].join('\n') + '\n');
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:savings failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
