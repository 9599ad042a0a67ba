/**
 * Prompt-prefix fingerprints for the usage record: the cumulative hash and estimated tokens at every block boundary
 * (wire/prefix.ts), with the breakpoint TTL where there is one. analyzePrefix hashes the whole prompt (an 85 KB
 * Claude Code request took about a millisecond before repeated beginnings were reused), so the gateway computes
 * fingerprints after the response was relayed: bodies over a megabyte on a worker thread when it runs compiled, the
 * rest (and everything under tsx) inline, at once.
 */
import { Worker } from 'node:worker_threads';
import type { CatalogModel } from '../pricing/catalog.js';
import type { PrefixFingerprint } from '../store/record.js';
import { fingerprintsOf } from '../metering/prefix-fingerprints.js';
import { analyzePrefix } from '../wire/prefix.js';
import type { TokenizerFamily } from '../wire/tokens.js';

export { fingerprintsOf, sharedFingerprints } from '../metering/prefix-fingerprints.js';

export interface FingerprintJob {
  readonly family: TokenizerFamily;
  readonly toolOverhead: { readonly auto: number; readonly any: number } | undefined;
}

export function prefixFingerprints(body: Readonly<Record<string, unknown>>, job: FingerprintJob): PrefixFingerprint[] {
  try {
    const a = analyzePrefix(body as Record<string, unknown>, { family: job.family, toolOverhead: job.toolOverhead });
    return fingerprintsOf(a.blocks, a.breakpoints);
  } catch {
    return [];
  }
}

export function jobFor(model: CatalogModel | null): FingerprintJob {
  return { family: model?.entry.tokenizer ?? 'claude-2025', toolOverhead: model?.entry.tool_use_system_prompt_tokens };
}

export interface Fingerprinter {
  /** Resolves once the worker thread (if any) is running, so its start-up is not paid by the first request. */
  ready(): Promise<void>;
  /**
   * `bytes`: the body as sent upstream (JSON); `body`: the same, parsed (used when computing inline). A body small
   * enough to fingerprint inline is done at once (an array); a large one on the thread (a promise).
   */
  compute(bytes: Buffer | null, body: Readonly<Record<string, unknown>>, model: CatalogModel | null): PrefixFingerprint[] | Promise<PrefixFingerprint[]>;
  close(): Promise<void>;
}

const CAN_THREAD = import.meta.url.endsWith('.js');

/**
 * `thread`: use a worker thread at all. `minThreadBytes`: smaller bodies are fingerprinted inline, at once. The thread
 * decodes and parses the body again before analysing it, which costs more CPU than the analysis itself now that a
 * repeated prompt beginning is compared rather than hashed (bench:gateway's agent case: ~570 us per 150 KB request
 * on the thread against ~250 us inline), so only very large bodies (documents, images) go there, where one analysis
 * would hold up the event loop for milliseconds.
 */
export const THREAD_MIN_BYTES = 1024 * 1024;

export function createFingerprinter({ thread = CAN_THREAD, minThreadBytes = THREAD_MIN_BYTES }: { thread?: boolean; minThreadBytes?: number } = {}): Fingerprinter {
  let worker: Worker | null = null;
  let broken = !thread;
  let seq = 0;
  const waiting = new Map<number, (p: PrefixFingerprint[]) => void>();
  let batch: (FingerprintJob & { seq: number; bytes: Uint8Array })[] = [];
  const post = (): void => {
    const jobs = batch;
    batch = [];
    if (!worker) {
      for (const j of jobs) waiting.get(j.seq)?.([]);
      return;
    }
    worker.postMessage(jobs, jobs.map((j) => j.bytes.buffer as ArrayBuffer));
  };

  function start(): Worker | null {
    if (worker || broken) return worker;
    try {
      const w = new Worker(new URL('./fingerprint-thread.js', import.meta.url));
      w.unref();
      w.on('message', (results: { seq: number; prefix: PrefixFingerprint[] }[]) => {
        for (const m of results) {
          const done = waiting.get(m.seq);
          waiting.delete(m.seq);
          done?.(m.prefix);
        }
      });
      w.on('error', (err) => {
        process.stderr.write(`clawback gateway: fingerprint thread failed, computing inline: ${err.message}\n`);
        broken = true;
        worker = null;
        for (const done of waiting.values()) done([]);
        waiting.clear();
      });
      worker = w;
    } catch {
      broken = true;
    }
    return worker;
  }

  return {
    ready() {
      const w = start();
      return w ? new Promise<void>((resolve) => {
        w.once('online', () => resolve());
        w.once('error', () => resolve());
      }) : Promise.resolve();
    },
    compute(bytes, body, model) {
      const w = bytes && bytes.length >= minThreadBytes ? start() : null;
      if (!w || !bytes) return prefixFingerprints(body, jobFor(model));
      const id = ++seq;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        // A copy of exactly the body, transferred: posting the Buffer itself would clone its whole backing store
        // (often a large socket read buffer). Jobs of one turn of the event loop go in one message.
        const copy = new Uint8Array(bytes);
        batch.push({ seq: id, bytes: copy, ...jobFor(model) });
        if (batch.length === 1) setImmediate(post);
      });
    },
    async close() {
      const w = worker;
      worker = null;
      broken = true;
      for (const done of waiting.values()) done([]);
      waiting.clear();
      if (w) await w.terminate();
    },
  };
}
