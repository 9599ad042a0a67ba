/** Worker thread: parses the Claude Code log files it is given into a RecordTable and sends it back, buffers transferred. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseFile } from './claude-code-parse.js';
import { newStats } from './record.js';
import { RecordTable } from './record-table.js';

interface Job {
  readonly files: readonly string[];
}

async function run(job: Job): Promise<void> {
  const stats = newStats('claude-code', '');
  const table = new RecordTable();
  for (const f of job.files) await parseFile(f, stats, table);
  const t = table.serialize();
  parentPort?.postMessage({ table: t, stats }, [t.nums, t.ids, t.flags, t.keyLens]);
}

run(workerData as Job).catch((err: unknown) => {
  parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
});
