/** Small node:http helpers for the emulator: bounded body reading and Anthropic-shaped JSON and error replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorBody } from '../wire/errors.js';

export const MB = 1024 * 1024;

/** Reads the whole body; returns null (having drained the rest) when it exceeds `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > limit) over = true;
    if (!over) chunks.push(b);
  }
  return over ? null : Buffer.concat(chunks);
}

export function parseJsonBody(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    throw new ApiError('invalid_request_error', 'There was an error parsing the body of your request as JSON.');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError, requestId: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.status, errorBody(err.type, err.message, requestId), headers);
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** The API key a request carries (`x-api-key`, or `Authorization: Bearer`), or null. */
export function apiKeyOf(req: IncomingMessage): string | null {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const auth = req.headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  return null;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
