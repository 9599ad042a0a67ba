/**
 * Hands a fetch Response's body to the caller chunk by chunk, as it is read (pull-based: nothing is read ahead of
 * the caller, nothing is buffered whole), showing each chunk to a tap, and says once how the body ended:
 *   'ok'       the caller read it to the end;
 *   'aborted'  the caller cancelled it (broke out of a stream, `stream.abort()`, the SDK dropping a retried error);
 *   'error'    reading failed (the connection broke, or the request's signal aborted it: then `aborted()` decides).
 * The tapped Response keeps the status, headers and url of the original.
 */
import type { BodyTap } from '../metering/taps.js';

export type BodyEnd = 'ok' | 'aborted' | 'error';

export interface TapHandlers {
  readonly tap: BodyTap | null;
  /** Called with the time of the first chunk. */
  firstByte(at: number): void;
  /** Called exactly once. */
  end(how: BodyEnd): void;
  /** Whether a read error means the caller aborted the request (it then counts as 'aborted'). */
  aborted(err: unknown): boolean;
  /** Extra response headers (e.g. x-clawback-request-id). */
  readonly headers: Readonly<Record<string, string>>;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function tapResponse(res: Response, h: TapHandlers): Response {
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(h.headers)) headers.set(k, v);
  let ended = false;
  const end = (how: BodyEnd): void => {
    if (ended) return;
    ended = true;
    h.end(how);
  };
  let body: ReadableStream<Uint8Array> | null = null;
  if (res.body === null || NULL_BODY.has(res.status)) {
    end('ok');
  } else {
    const reader = res.body.getReader();
    let first = true;
    body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          let r: Awaited<ReturnType<typeof reader.read>>;
          try {
            r = await reader.read();
          } catch (err) {
            end(h.aborted(err) ? 'aborted' : 'error');
            controller.error(err);
            return;
          }
          if (r.done) {
            end('ok');
            controller.close();
            return;
          }
          if (first) {
            first = false;
            h.firstByte(Date.now());
          }
          try {
            h.tap?.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
          } catch {
            // a tap must never break the caller's response
          }
          controller.enqueue(r.value);
        },
        async cancel(reason) {
          // Chunks already received but not yet read by the caller were generated, and billed: the tap reads them
          // before the request is cut (metering/aborted-stream.ts estimates the output from them).
          if (h.tap) await drainReceived(reader, h.tap);
          end('aborted');
          await reader.cancel(reason).catch(() => undefined);
        },
      },
      { highWaterMark: 0 },
    );
  }
  const out = new Response(body, { status: res.status, statusText: res.statusText, headers });
  if (res.url) Object.defineProperty(out, 'url', { value: res.url });
  return out;
}

/** Hands the tap what the body already holds (never waits for the network: stops at the first read not ready now). */
async function drainReceived(reader: ReadableStreamDefaultReader<Uint8Array>, tap: BodyTap): Promise<void> {
  const later = Symbol('later');
  for (let i = 0; i < 10_000; i++) {
    let r: Awaited<ReturnType<typeof reader.read>> | typeof later;
    try {
      r = await Promise.race([reader.read(), new Promise<typeof later>((res) => setImmediate(() => res(later)))]);
    } catch {
      return;
    }
    if (r === later || r.done) return;
    try {
      tap.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
    } catch {
      return;
    }
  }
}
