/**
 * Worker thread: claims Claude Code log files from the back of the shared list (the main thread takes them from the
 * front, so the two meet wherever their speeds put the line), parses each into its own RecordTable and sends it
 * back at once, buffers transferred, with the file's index: the main thread merges them in file order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseFile } from './claude-code-parse.js';
import { newStats } from './record.js';
import { RecordTable } from './record-table.js';
import { claimFromBack, type ClaimJob } from './claim.js';

async function run(job: ClaimJob): Promise<void> {
  const claims = new Int32Array(job.claims);
  for (let k = claimFromBack(claims, job.files.length); k >= 0; k = claimFromBack(claims, job.files.length)) {
    const stats = newStats('claude-code', '');
    const table = new RecordTable();
    await parseFile(job.files[k]!, stats, table);
    const t = table.serialize();
    parentPort?.postMessage({ file: k, table: t, stats }, [t.nums, t.ids, t.flags, t.keyBytes, t.keyLens]);
  }
  parentPort?.postMessage({ done: true });
}

run(workerData as ClaimJob).catch((err: unknown) => {
  parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
});
