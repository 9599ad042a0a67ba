/**
 * What the SQLite store (sqlite-handoff.ts) and its writer thread (sqlite-thread.ts) say to each other.
 *
 * To the thread: `{ rows, oldest }` (compacted rows to queue, row-shape.ts; `oldest` sets the flush deadline), `{ flush: seq }` (write
 * everything now), `{ retain: cutoffMs }` (delete records started before it), `{ close: true }`. From it: `{ ready: true }` once its connection is open, `{ flushed: seq }`.
 * Shared counters (Int32Array over workerData.control): [DONE] rows written or dropped so far (wrapping at 2^32),
 * [FLUSHED] the last flush seq completed, for a caller blocked in flushSync (one that awaits gets the message).
 */
import type { CompactRow } from './row-shape.js';

export interface WriterThreadData {
  readonly path: string;
  readonly flushMs: number;
  readonly maxBatch: number;
  readonly durability: 'normal' | 'full';
  readonly control: SharedArrayBuffer;
}

export type WriterMessage =
  | { readonly rows: CompactRow[]; readonly oldest: number }
  | { readonly flush: number }
  | { readonly retain: number }
  | { readonly close: true };

/** From the thread: its connection is open (rows handed over from now on are its to write); a flush is done. */
export type WriterReply = { readonly ready: true } | { readonly flushed: number };

export const DONE = 0;
export const FLUSHED = 1;
