/** Rows grouped into sessions, each in time order: the unit the wasted-write check and the what-if replay walk. */
import type { RecordTable } from './record-table.js';

export interface SessionRuns {
  /** Row indices, sorted by session then time. */
  readonly order: Int32Array;
  /** [start, end) offsets into `order`, one per session. Rows without a session are each their own run. */
  readonly runs: readonly (readonly [number, number])[];
}

/**
 * The order is that of a stable sort on (session id, time): rows are counted into their session first (keeping
 * their order), then a session whose rows are not already in time order (rows of several files) is sorted by time,
 * stably. Rows come mostly in time order within a session, so most sessions need no sort.
 */
export function sessionRuns(table: RecordTable, rows: readonly number[]): SessionRuns {
  // Sessions are interned ids (-1 for none): count rows per id, offset + 1 so "none" is slot 0 and comes first.
  // (indexed loops: run once, while still cold, `for...of` makes an iterator result per row)
  const n = rows.length;
  const session = new Int32Array(n);
  let maxId = -1;
  for (let k = 0; k < n; k++) {
    const id = table.sessionId(rows[k]!);
    session[k] = id;
    if (id > maxId) maxId = id;
  }
  const starts = new Int32Array(maxId + 3);
  for (let k = 0; k < n; k++) starts[session[k]! + 2]!++;
  for (let s = 1; s < starts.length; s++) starts[s]! += starts[s - 1]!;
  const order = new Int32Array(n);
  const at = starts.slice(0, maxId + 2);
  for (let k = 0; k < n; k++) order[at[session[k]! + 1]!++] = rows[k]!;
  const runs: [number, number][] = [];
  for (let s = 0; s <= maxId + 1; s++) {
    const start = starts[s]!;
    const end = starts[s + 1]!;
    if (start === end) continue;
    if (s === 0) {
      // rows without a session: each is its own run, in time order
      sortByTime(table, order, start, end);
      for (let k = start; k < end; k++) runs.push([k, k + 1]);
      continue;
    }
    sortByTime(table, order, start, end);
    runs.push([start, end]);
  }
  return { order, runs };
}

/** Sorts order[start, end) by time, stably; nothing to do when it already is in order. */
function sortByTime(table: RecordTable, order: Int32Array, start: number, end: number): void {
  let sorted = true;
  for (let k = start + 1; k < end && sorted; k++) if (table.ts(order[k]!) < table.ts(order[k - 1]!)) sorted = false;
  if (sorted) return;
  const part = Array.from(order.subarray(start, end)).sort((a, b) => table.ts(a) - table.ts(b));
  order.set(part, start);
}
