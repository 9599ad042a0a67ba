/** Rows grouped into sessions, each in time order: the unit the wasted-write check and the what-if replay walk. */
import type { RecordTable } from './record-table.js';

export interface SessionRuns {
  /** Row indices, sorted by session then time. */
  readonly order: Int32Array;
  /** [start, end) offsets into `order`, one per session. Rows without a session are each their own run. */
  readonly runs: readonly (readonly [number, number])[];
}

export function sessionRuns(table: RecordTable, rows: readonly number[]): SessionRuns {
  const sorted = [...rows].sort((a, b) => {
    const sa = table.sessionId(a);
    const sb = table.sessionId(b);
    if (sa !== sb) return sa - sb;
    return table.ts(a) - table.ts(b);
  });
  const order = Int32Array.from(sorted);
  const runs: [number, number][] = [];
  let start = 0;
  for (let k = 1; k <= order.length; k++) {
    const prev = table.sessionId(order[k - 1]!);
    if (k === order.length || prev < 0 || table.sessionId(order[k]!) !== prev) {
      runs.push([start, k]);
      start = k;
    }
  }
  return { order, runs };
}
