/**
 * The SQLite store's writer thread: owns a connection of its own and writes the rows the store hands it
 * (sqlite-handoff.ts), so the inserts, the transactions and their garbage stay off the gateway's event loop
 * (messages: sqlite-thread-protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createBatchWriter } from './sqlite-batch.js';
import { DONE, FLUSHED, type WriterMessage, type WriterReply, type WriterThreadData } from './sqlite-thread-protocol.js';

function main(data: WriterThreadData): void {
  const port = parentPort!;
  const control = new Int32Array(data.control);
  const db = new Database(data.path);
  db.pragma(`synchronous = ${data.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  const writer = createBatchWriter(db, {
    flushMs: data.flushMs,
    maxBatch: data.maxBatch,
    onError: (err, rows) => process.stderr.write(`clawback store: write failed, ${rows} record(s) lost: ${err.message}\n`),
    onWritten: (rows) => Atomics.add(control, DONE, rows),
  });
  const deleteOld = db.prepare('DELETE FROM usage_records WHERE started_at < ?');
  port.on('message', (m: WriterMessage) => {
    if ('rows' in m) {
      writer.push(m.rows, m.oldest);
      return;
    }
    if ('flush' in m) {
      writer.flushSync();
      Atomics.store(control, FLUSHED, m.flush);
      Atomics.notify(control, FLUSHED);
      port.postMessage({ flushed: m.flush } satisfies WriterReply);
      return;
    }
    if ('retain' in m) {
      try {
        writer.flushSync();
        deleteOld.run(m.retain);
      } catch (err) {
        process.stderr.write(`clawback store: retention failed: ${(err as Error).message}\n`);
      }
      return;
    }
    writer.close();
    db.close();
    port.close();
  });
  port.postMessage({ ready: true } satisfies WriterReply);
}

main(workerData as WriterThreadData);
