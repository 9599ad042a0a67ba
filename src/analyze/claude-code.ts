/**
 * The Claude Code log source: finds the log folders (CLAUDE_CONFIG_DIR, several comma-separated allowed, else
 * ~/.claude/projects and $XDG_CONFIG_HOME/claude/projects), every `*.jsonl` under them (subagent logs included),
 * parses them (in worker threads when there is enough to read) and dedupes one API response written as several
 * lines on (message.id, requestId).
 *
 * Dedupe rule (record-table.ts): of the lines sharing a key, the one with the most output tokens is kept. Claude
 * Code writes one line per content block, the first ones with the message_start output count, so the largest is
 * the final count.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseFile } from './claude-code-parse.js';
import { RecordTable, type SerializedTable } from './record-table.js';
import { newStats, type SourceStats } from './record.js';

/** Folders holding Claude Code project logs, in the order Claude Code itself looks. */
export function claudeCodeRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env['CLAUDE_CONFIG_DIR'];
  const bases = configured
    ? configured.split(',').map((s) => s.trim()).filter(Boolean)
    : [join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'claude'), join(homedir(), '.claude')];
  const out: string[] = [];
  for (const b of bases) {
    const p = existsSync(join(b, 'projects')) ? join(b, 'projects') : b;
    if (existsSync(p) && !out.includes(resolve(p))) out.push(resolve(p));
  }
  return out;
}

/** Every `.jsonl` file under a folder (or the file itself), sorted for a stable order. */
export function findLogFiles(root: string): string[] {
  const st = statSync(root);
  if (st.isFile()) return [root];
  const base = existsSync(join(root, 'projects')) ? join(root, 'projects') : root;
  return (readdirSync(base, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(base, f))
    .sort();
}

export interface ReadOptions {
  /** Threads to parse with, the main thread included (so N - 1 workers); 1 parses on the main thread only. Default: the machine's parallelism. */
  readonly jobs?: number;
  /** Below this many bytes, parse on the main thread (starting workers costs more than it saves). */
  readonly parallelAbove?: number;
  /** Called after each file (main-thread parsing) or each worker (parallel), with bytes done and total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Epoch ms: files last written before this cannot hold a newer line and are not read. */
  readonly since?: number;
  /** Add to this table (other sources may already be in it); a new one by default. */
  readonly table?: RecordTable;
}

export interface ClaudeCodeResult {
  readonly table: RecordTable;
  readonly stats: SourceStats;
}

/** Compiled, parsing can use worker threads; run from TypeScript sources (tsx), workers would lack the loader. */
const CAN_THREAD = import.meta.url.endsWith('.js');

function workerUrl(): URL {
  return new URL('./claude-code-worker.js', import.meta.url);
}

/** Splits files into `n` groups of similar total size (largest first, each to the lightest group). */
function balance(files: readonly { path: string; size: number }[], n: number): string[][] {
  const groups = Array.from({ length: n }, () => ({ size: 0, files: [] as string[] }));
  for (const f of [...files].sort((a, b) => b.size - a.size)) {
    const g = groups.reduce((a, b) => (b.size < a.size ? b : a));
    g.files.push(f.path);
    g.size += f.size;
  }
  return groups.filter((g) => g.files.length > 0).map((g) => g.files);
}

interface WorkerReply {
  readonly table?: SerializedTable;
  readonly stats?: SourceStats;
  readonly error?: string;
}

function runWorker(files: string[]): Promise<{ table: SerializedTable; stats: SourceStats }> {
  return new Promise((resolvePromise, reject) => {
    // A larger young generation: parsing makes much short-lived garbage, and fewer scavenges cost less.
    const w = new Worker(workerUrl(), { workerData: { files }, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
    w.once('message', (m: WorkerReply) => {
      if (m.error !== undefined || !m.table || !m.stats) reject(new Error(`log parser worker failed: ${m.error ?? 'no result'}`));
      else resolvePromise({ table: m.table, stats: m.stats });
      void w.terminate();
    });
    w.once('error', reject);
  });
}

function merge(into: SourceStats, s: SourceStats): void {
  into.files += s.files;
  into.lines += s.lines;
  into.bytes += s.bytes;
  into.malformed += s.malformed;
  for (const m of s.malformedSamples) if (into.malformedSamples.length < 5) into.malformedSamples.push(m);
}

/** Reads every log file under the given folders (or files). */
export async function readClaudeCode(paths: readonly string[], opts: ReadOptions = {}): Promise<ClaudeCodeResult> {
  const stats = newStats('claude-code', paths.join(','));
  const files = paths
    .flatMap(findLogFiles)
    .map((path) => {
      const st = statSync(path);
      return { path, size: st.size, mtime: st.mtimeMs };
    })
    .filter((f) => opts.since === undefined || f.mtime >= opts.since);
  const total = files.reduce((a, f) => a + f.size, 0);
  const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), files.length));
  const table = opts.table ?? new RecordTable();
  const before = table.duplicates;
  if (!CAN_THREAD || jobs <= 1 || total < (opts.parallelAbove ?? 16 << 20)) {
    let done = 0;
    for (const f of files) {
      await parseFile(f.path, stats, table);
      done += f.size;
      opts.onProgress?.(done, total);
    }
  } else {
    // The main thread parses the first group itself while worker threads parse the others: with N cores, N - 1
    // workers, so no core waits idle and one table fewer crosses threads.
    const groups = balance(files, jobs);
    const sizeOf = new Map(files.map((f) => [f.path, f.size]));
    let done = 0;
    const progress = (g: readonly string[]): void => {
      done += g.reduce((a, p) => a + (sizeOf.get(p) ?? 0), 0);
      opts.onProgress?.(done, total);
    };
    const pending = groups.slice(1).map((g) =>
      runWorker(g).then((r) => {
        progress(g);
        return r;
      }),
    );
    // A worker that fails rejects at once; keep the rejection handled until it is awaited below.
    const results = Promise.all(pending);
    results.catch(() => undefined);
    const own = groups[0] ?? [];
    for (const f of own) await parseFile(f, stats, table);
    progress(own);
    // Merge in group order so the result does not depend on which worker finished first.
    for (const r of await results) {
      merge(stats, r.stats);
      table.merge(r.table);
    }
  }
  stats.duplicates += table.duplicates - before;
  return { table, stats };
}
