/**
 * The write side of the SQLite store: rows wait in a queue and are written in one transaction when the oldest has
 * waited `flushMs`, or at once when `maxBatch` rows wait. Runs on the store's writer thread (sqlite-thread.ts), or
 * on the caller's thread where no writer thread can run (an in-memory database, TypeScript run through tsx).
 */
import type Database from 'better-sqlite3';
import { insertSqlFor, type CompactRow } from './row-shape.js';

export interface BatchWriterOptions {
  readonly flushMs: number;
  readonly maxBatch: number;
  /** Called when a transaction fails; its rows are dropped (the caller logs). */
  readonly onError: (err: Error, rows: number) => void;
  /** Called after every transaction with the number of rows it wrote (or dropped). */
  readonly onWritten?: (rows: number) => void;
}

export interface BatchWriter {
  /** Queues compacted rows; `oldest` is when the first of them was queued by the caller (epoch ms), which sets the deadline. */
  push(rows: readonly CompactRow[], oldest: number): void;
  /** Writes the queue now. */
  flushSync(): void;
  /** Rows queued, not yet written. */
  readonly pending: number;
  close(): void;
}

/** Statements kept per row shape; a workload has a handful of shapes (more are prepared again when needed). */
const MAX_SHAPES = 64;

/** Writes compacted rows (row-shape.ts) in one transaction; consumes them (each row's shape is popped off). */
function insertStatement(db: Database.Database): (rows: readonly CompactRow[]) => void {
  const byShape = new Map<number, Database.Statement>();
  const statementFor = (shape: number): Database.Statement => {
    let s = byShape.get(shape);
    if (!s) {
      if (byShape.size >= MAX_SHAPES) byShape.clear();
      s = db.prepare(insertSqlFor(shape));
      byShape.set(shape, s);
    }
    return s;
  };
  return db.transaction((rows: readonly CompactRow[]) => {
    // As arguments, not one array: better-sqlite3 then binds each from the call itself instead of reading the
    // array element by element through V8's API (~0.8 of ~6.7 us per row; binding is most of an insert's cost).
    for (const r of rows) {
      const shape = r.pop() as number;
      statementFor(shape).run(...r);
    }
  });
}

export function createBatchWriter(db: Database.Database, { flushMs, maxBatch, onError, onWritten }: BatchWriterOptions): BatchWriter {
  const insertMany = insertStatement(db);
  let queue: CompactRow[] = [];
  let deadline = Infinity;
  let timer: NodeJS.Timeout | null = null;

  function flushSync(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    deadline = Infinity;
    if (queue.length === 0 || !db.open) return;
    const batch = queue;
    queue = [];
    try {
      insertMany(batch);
    } catch (err) {
      onError(err as Error, batch.length);
    }
    onWritten?.(batch.length);
  }

  function arm(at: number): void {
    if (timer && at >= deadline) return;
    if (timer) clearTimeout(timer);
    deadline = at;
    timer = setTimeout(flushSync, Math.max(0, at - Date.now()));
  }

  return {
    push(rows, oldest) {
      for (const r of rows) queue.push(r);
      if (queue.length >= maxBatch) arm(0);
      else arm(oldest + flushMs);
    },
    flushSync,
    get pending() {
      return queue.length;
    },
    close() {
      flushSync();
    },
  };
}
