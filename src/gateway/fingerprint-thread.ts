/** Worker thread: computes prompt-prefix fingerprints (fingerprints.ts) away from the gateway's event loop. */
import { parentPort } from 'node:worker_threads';
import { prefixFingerprints, type FingerprintJob } from './fingerprints.js';

const decoder = new TextDecoder();
parentPort?.on('message', (jobs: (FingerprintJob & { seq: number; bytes: Uint8Array })[]) => {
  parentPort!.postMessage(
    jobs.map((job) => {
      try {
        return { seq: job.seq, prefix: prefixFingerprints(JSON.parse(decoder.decode(job.bytes)) as Record<string, unknown>, job) };
      } catch {
        return { seq: job.seq, prefix: [] };
      }
    }),
  );
});
