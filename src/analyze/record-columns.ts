/**
 * The record table's column layout (record-table.ts): row flags, the numeric columns (one Float64Array, stride NUMS),
 * the string columns (interned ids, -1 for null; one Int32Array, stride IDS), and a table as it crosses threads.
 * Readers that walk the columns directly (aggregation, the what-if shapes) index them with these.
 */
import type { Usage } from '../pricing/usage.js';

export const F_BATCH = 1;
export const F_FAST = 2;
export const F_DEFERRABLE = 4;
/** The row kept its usage object for extra billed steps. */
export const F_STEPS = 8;

/** Rarely present parts of a row, kept as objects. */
export interface Extra {
  readonly usage?: Usage;
  readonly tags?: Readonly<Record<string, string>>;
  readonly body?: Readonly<Record<string, unknown>>;
}

export interface SerializedTable {
  readonly size: number;
  readonly duplicates: number;
  readonly nums: ArrayBuffer;
  readonly ids: ArrayBuffer;
  readonly flags: ArrayBuffer;
  readonly strings: string[];
  /** The dedupe keys' bytes (key-index.ts), row after row... */
  readonly keyBytes: ArrayBuffer;
  /** ...and each key's length, -1 for a row without a key. */
  readonly keyLens: ArrayBuffer;
  readonly extra: [number, Extra][];
}

// Numeric columns, in one Float64Array with stride NUMS.
export const TS = 0;
export const INPUT = 1;
export const W5 = 2;
export const W1H = 3;
export const READ = 4;
export const OUTPUT = 5;
export const WEB = 6;
export const MAXTOK = 7;
export const NUMS = 8;
// String columns (interned ids, -1 = null), one Int32Array with stride IDS.
export const MODEL = 0;
export const SESSION = 1;
export const PROJECT = 2;
export const STOP = 3;
export const KEY = 4;
export const GEO = 5;
export const IDS = 6;
