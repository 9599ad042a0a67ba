/**
 * Cache writes never read. A request that wrote W tokens cached its prompt through (its reads + W). The write was
 * read if a later request of the same session, on the same model, within the TTL of the write, read more than
 * the writer itself read (so it read into what was written). Token-level: logs carry no prefix hashes.
 */
import type { RecordTable } from './record-table.js';
import type { SessionRuns } from './sessions.js';

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/** Calls `add` with each row's cache-write tokens (5m, 1h) that no later request read. */
export function wastedWrites(table: RecordTable, runs: SessionRuns, add: (i: number, w5: number, w1h: number) => void): void {
  const { order } = runs;
  for (const [start, end] of runs.runs) {
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      const w5i = table.write5m(i);
      const w1i = table.write1h(i);
      if (w5i + w1i === 0) continue;
      const t = table.ts(i);
      const model = table.modelId(i);
      const readI = table.read(i);
      let read5 = false;
      let read1 = false;
      for (let q = k + 1; q < end; q++) {
        const j = order[q]!;
        const dt = table.ts(j) - t;
        if (dt > TTL_MS['1h']) break;
        if (table.modelId(j) !== model || table.read(j) <= readI) continue;
        read1 = true;
        if (dt <= TTL_MS['5m']) read5 = true;
        if (read5) break;
      }
      const w5 = read5 ? 0 : w5i;
      const w1 = read1 ? 0 : w1i;
      if (w5 + w1 > 0) add(i, w5, w1);
    }
  }
}
