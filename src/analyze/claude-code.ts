/**
 * The Claude Code log source: finds the log folders (CLAUDE_CONFIG_DIR, several comma-separated allowed, else
 * ~/.claude/projects and $XDG_CONFIG_HOME/claude/projects), every `*.jsonl` under them (subagent logs included),
 * parses them (with worker threads when there is enough to read; the result is the same for any thread count)
 * and dedupes one API response written as several lines on (message.id, requestId).
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
import { claimFromFront, newClaims, type ClaimJob } from './claim.js';
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
  /** Called after each file is read (by whichever thread), with bytes done and total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Epoch ms: files last written before this cannot hold a newer line and are not read. */
  readonly since?: number;
  /** Called once worker threads are started, before the main thread reads: work to overlap with their start. */
  readonly afterStart?: () => Promise<void>;
  /** Stops reading (worker threads too): the read then rejects. */
  readonly signal?: AbortSignal;
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

interface WorkerReply {
  readonly file?: number;
  readonly table?: SerializedTable;
  readonly stats?: SourceStats;
  readonly done?: boolean;
  readonly error?: string;
}

/** Starts a worker on the shared claims; `onFile` gets each file it parsed; resolves when it has nothing left to claim. */
function runWorker(job: ClaimJob, onFile: (k: number, table: SerializedTable, stats: SourceStats) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // A larger young generation: parsing makes much short-lived garbage, and fewer scavenges cost less.
    const w = new Worker(workerUrl(), { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
    signal?.addEventListener('abort', () => {
      reject(new Error('log reading stopped'));
      void w.terminate();
    }, { once: true });
    w.on('message', (m: WorkerReply) => {
      if (m.file !== undefined && m.table && m.stats) return onFile(m.file, m.table, m.stats);
      if (m.done) resolvePromise();
      else reject(new Error(`log parser worker failed: ${m.error ?? 'no result'}`));
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`log parser worker stopped (exit code ${code}) before it was done`)));
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
    await opts.afterStart?.();
    for (const f of files) {
      opts.signal?.throwIfAborted();
      await parseFile(f.path, stats, table);
      done += f.size;
      opts.onProgress?.(done, total);
    }
  } else {
    // The main thread parses files from the front of the list while N - 1 worker threads take them from the back
    // (with N cores, no core waits idle and the main thread's files cross no thread); whoever is faster reads more.
    // The workers' files are merged after the main thread's, in file order: the same table as reading in order.
    const claims = newClaims(files.length);
    const job: ClaimJob = { files: files.map((f) => f.path), claims: claims.buffer as SharedArrayBuffer };
    const fromWorkers: { table: SerializedTable; stats: SourceStats }[] = [];
    let done = 0;
    const progress = (k: number): void => {
      done += files[k]?.size ?? 0;
      opts.onProgress?.(done, total);
    };
    const workers = Array.from({ length: jobs - 1 }, () =>
      runWorker(
        job,
        (k, t, s) => {
          fromWorkers[k] = { table: t, stats: s };
          progress(k);
        },
        opts.signal,
      ),
    );
    // A worker that fails rejects at once; keep the rejection handled until it is awaited below.
    const finished = Promise.all(workers);
    finished.catch(() => undefined);
    await opts.afterStart?.();
    for (let k = 0; claimFromFront(claims, files.length); k++) {
      opts.signal?.throwIfAborted();
      await parseFile(files[k]!.path, stats, table);
      progress(k);
    }
    await finished;
    for (const r of fromWorkers) {
      if (!r) continue; // a file the main thread read
      merge(stats, r.stats);
      table.merge(r.table);
    }
  }
  stats.duplicates += table.duplicates - before;
  return { table, stats };
}
