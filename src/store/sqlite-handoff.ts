/**
 * Where the SQLite store's rows go: to its writer thread (sqlite-thread.ts), or, where no thread can run, to a
 * batch writer on this thread (sqlite-batch.ts). Both keep the same bound: a row queued at time t is written by
 * t + flushMs (plus one transaction), or at once when maxBatch rows wait.
 *
 * The thread path: rows are handed over in small groups (every HANDOFF_MS, or at HANDOFF_ROWS) stamped with when
 * the oldest was queued, so the deadline stays the caller's; a row lives on the event loop's heap for a few
 * milliseconds only (a row held for the whole flush interval outlives the young generation, and collecting it
 * costs more than writing it). If the thread fails, later rows are written here; rows it held are lost, as they
 * would be in a crash of the process (at most flushMs of them).
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { createBatchWriter, type BatchWriter } from './sqlite-batch.js';
import { DONE, FLUSHED, type WriterMessage, type WriterReply, type WriterThreadData } from './sqlite-thread-protocol.js';
import type { Cell } from './row.js';
import { compactRow, type CompactRow } from './row-shape.js';

export interface RowSink {
  /** Queues a row (every column, in COLUMNS order); it is handed on compacted (row-shape.ts). */
  push(row: readonly Cell[]): void;
  /** Writes everything queued, blocking this thread until it is written. */
  flushSync(): void;
  flush(): Promise<void>;
  /** Rows queued and not yet written. */
  readonly pending: number;
  /** Flushes and stops the thread (if any). */
  close(): Promise<void>;
  /** Has the writer thread delete records started before `cutoff` (epoch ms); false when there is no thread. */
  readonly retain?: (cutoff: number) => boolean;
}

export interface SinkOptions {
  readonly flushMs: number;
  readonly maxBatch: number;
  readonly durability: 'normal' | 'full';
}

const HANDOFF_ROWS = 64;
const HANDOFF_MS = 5;
/** How long flushSync waits for the thread before giving up (it then reports and returns). */
const SYNC_WAIT_MS = 10_000;

const reportError = (err: Error, rows: number): void => {
  process.stderr.write(`clawback store: write failed, ${rows} record(s) lost: ${err.message}\n`);
};

export function inlineSink(db: Database.Database, { flushMs, maxBatch }: SinkOptions): RowSink {
  const writer = createBatchWriter(db, { flushMs, maxBatch, onError: reportError });
  return {
    push: (row) => writer.push([compactRow(row)], Date.now()),
    flushSync: () => writer.flushSync(),
    flush: async () => writer.flushSync(),
    get pending() {
      return writer.pending;
    },
    close: async () => writer.close(),
  };
}

/**
 * The writer thread for the database file at `path`; `db` (this thread's connection) takes over if it fails.
 * `script`: the thread's code (a test gives one that fails).
 */
export function threadSink(path: string, db: Database.Database, opts: SinkOptions, script: URL = new URL('./sqlite-thread.js', import.meta.url)): RowSink {
  const control = new SharedArrayBuffer(8);
  const counters = new Int32Array(control);
  const data: WriterThreadData = { path, flushMs: opts.flushMs, maxBatch: opts.maxBatch, durability: opts.durability, control };
  const worker = new Worker(script, { workerData: data });
  worker.unref();

  // Rows handed over before the thread said it is ready (its connection open): kept, so a thread that never gets
  // there loses none of them.
  let early: { rows: CompactRow[]; oldest: number }[] | null = [];
  let fallback: BatchWriter | null = null;
  let stopped = false;
  let queue: CompactRow[] = [];
  let oldest = 0;
  let timer: NodeJS.Timeout | null = null;
  let pushed = 0;
  let seq = 0;
  const waiting = new Map<number, () => void>();
  const handoffRows = Math.min(opts.maxBatch, HANDOFF_ROWS);
  const handoffMs = Math.min(opts.flushMs, HANDOFF_MS);

  const settle = (upTo: number): void => {
    for (const [s, done] of waiting) {
      if (s > upTo) continue;
      waiting.delete(s);
      done();
    }
    if (waiting.size === 0 && !stopped) worker.unref();
  };
  const fail = (why: string): void => {
    if (fallback) return;
    process.stderr.write(`clawback store: writer thread ${why}; writing on the main thread from now on\n`);
    fallback = createBatchWriter(db, { ...opts, onError: reportError });
    for (const e of early ?? []) fallback.push(e.rows, e.oldest);
    early = null;
    if (queue.length > 0) fallback.push(queue, oldest);
    queue = [];
    settle(Infinity);
  };
  worker.on('message', (m: WriterReply) => {
    if ('ready' in m) early = null;
    else settle(m.flushed);
  });
  worker.on('error', (err) => fail(`failed (${err.message})`));
  worker.once('exit', (code) => {
    if (!stopped) fail(`exited (code ${code})`);
  });

  function post(m: WriterMessage): void {
    worker.postMessage(m);
  }

  function handoff(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queue.length === 0) return;
    if (fallback) fallback.push(queue, oldest);
    else {
      post({ rows: queue, oldest });
      early?.push({ rows: queue, oldest });
    }
    queue = [];
  }

  function flush(): Promise<void> {
    handoff();
    if (fallback) {
      fallback.flushSync();
      return Promise.resolve();
    }
    const s = ++seq;
    worker.ref();
    return new Promise<void>((resolve) => {
      waiting.set(s, resolve);
      post({ flush: s });
    });
  }

  return {
    push(row) {
      if (fallback) {
        fallback.push([compactRow(row)], Date.now());
        return;
      }
      if (queue.length === 0) oldest = Date.now();
      queue.push(compactRow(row));
      pushed = (pushed + 1) | 0;
      if (queue.length >= handoffRows) handoff();
      else if (!timer) timer = setTimeout(handoff, handoffMs);
    },
    get pending() {
      if (fallback) return fallback.pending;
      return (pushed - Atomics.load(counters, DONE)) | 0;
    },
    flushSync() {
      handoff();
      if (fallback) {
        fallback.flushSync();
        return;
      }
      const s = ++seq;
      post({ flush: s });
      const deadline = Date.now() + SYNC_WAIT_MS;
      for (;;) {
        const seen = Atomics.load(counters, FLUSHED);
        if (seen >= s) return;
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(counters, FLUSHED, seen, left) === 'timed-out') {
          // A thread that never started still has its rows in `early`; rows it took and did not write are lost.
          fail(`did not finish writing within ${SYNC_WAIT_MS} ms`);
          fallback!.flushSync();
          return;
        }
      }
    },
    flush,
    retain(cutoff) {
      if (fallback) return false;
      handoff(); // rows queued before it are written before it deletes
      post({ retain: cutoff });
      return true;
    },
    async close() {
      await flush();
      if (fallback) {
        fallback.close();
        return;
      }
      stopped = true;
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      post({ close: true });
      await exited;
    },
  };
}

/** threadSink, or null (reported) when no thread can be started here. */
export function threadSinkOrNull(path: string, db: Database.Database, opts: SinkOptions): RowSink | null {
  try {
    return threadSink(path, db, opts);
  } catch (err) {
    process.stderr.write(`clawback store: cannot start the writer thread (${(err as Error).message}); writing on the main thread\n`);
    return null;
  }
}
