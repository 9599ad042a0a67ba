/**
 * The live feed: a server-sent event stream (`GET /clawback/api/events`) that the dashboard listens to. Each
 * metered request is sent as a `request` event (the same shape as /clawback/api/requests rows), each alert as an
 * `alert` event; a comment line every `heartbeatMs` keeps proxies from closing an idle stream. A client that
 * cannot keep up (its socket buffer is full beyond `maxBufferedBytes`) is dropped rather than slowing the gateway;
 * EventSource reconnects by itself and the page re-reads the summary when it does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeSse } from '../wire/sse.js';

export interface LiveFeed {
  /** Answers an SSE request and keeps the connection until the client leaves or the feed closes. */
  attach(req: IncomingMessage, res: ServerResponse): void;
  publish(event: string, data: unknown): void;
  readonly clients: number;
  close(): void;
}

export function createFeed({ heartbeatMs = 15_000, maxBufferedBytes = 1 << 20 }: { heartbeatMs?: number; maxBufferedBytes?: number } = {}): LiveFeed {
  const clients = new Set<ServerResponse>();
  const timer = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, heartbeatMs);
  timer.unref();

  const drop = (res: ServerResponse): void => {
    clients.delete(res);
    if (!res.writableEnded) res.end();
  };

  return {
    attach(req, res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      res.write(encodeSse('hello', { at: Date.now() }));
      clients.add(res);
      req.on('close', () => clients.delete(res));
      res.on('error', () => clients.delete(res));
    },
    publish(event, data) {
      if (clients.size === 0) return;
      const frame = encodeSse(event, data);
      for (const res of clients) {
        if (res.writableLength > maxBufferedBytes) drop(res);
        else res.write(frame);
      }
    },
    get clients() {
      return clients.size;
    },
    close() {
      clearInterval(timer);
      for (const res of [...clients]) drop(res);
    },
  };
}
