/**
 * Relays an upstream body to the client chunk by chunk as it arrives (never buffered whole), honouring the
 * client's backpressure, handing each chunk to a tap. A client that goes away destroys the upstream body (the
 * upstream stops generating, and billing, an answer nobody reads).
 */
import type { ServerResponse } from 'node:http';
import type { Trace } from './meter.js';
import type { BodyTap } from './taps.js';
import type { UpstreamResponse } from './upstream.js';

export type RelayEnd = 'ok' | 'aborted' | 'error';

export function relay(
  up: UpstreamResponse, headers: Record<string, string | string[]>, res: ServerResponse, tap: BodyTap | null, trace: Trace,
): Promise<RelayEnd> {
  const body = up.body;
  return new Promise<RelayEnd>((resolve) => {
    let done = false;
    const finish = (how: RelayEnd): void => {
      if (done) return;
      done = true;
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(how);
    };
    const onDrain = (): void => {
      body.resume();
    };
    const onClose = (): void => {
      if (res.writableFinished) return;
      // Chunks received but held back (client backpressure) were generated and billed all the same: the tap reads
      // them (read() hands each to the 'data' listener) before the upstream is cut (metering/aborted-stream.ts).
      if (tap) while (body.read() !== null);
      body.destroy();
      finish('aborted');
    };
    if (res.destroyed) {
      body.destroy();
      finish('aborted');
      return;
    }
    res.writeHead(up.status, headers);
    res.on('drain', onDrain);
    res.on('close', onClose);
    // Chunks that arrive together leave together: the socket stays corked until this turn of the event loop is
    // done (or the body ends), so the last chunk and the end of a chunked (SSE) answer go out in one write, not
    // two. Uncorked per turn, nothing waits for a later chunk.
    let corked = false;
    const flush = (): void => {
      if (!corked) return;
      corked = false;
      res.uncork();
    };
    body.on('data', (c: Buffer) => {
      if (trace.firstByteAt === null) trace.firstByteAt = Date.now();
      if (tap) tap.push(c);
      if (!corked) {
        corked = true;
        res.cork();
        setImmediate(flush);
      }
      if (!res.write(c)) body.pause();
    });
    body.once('end', () => {
      res.end();
      flush();
      finish('ok');
    });
    body.once('error', () => {
      if (done) return;
      const gone = res.destroyed && !res.writableFinished;
      res.destroy();
      finish(gone ? 'aborted' : 'error');
    });
  });
}
