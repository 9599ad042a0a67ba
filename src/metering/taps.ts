/**
 * Reading a response while it is relayed (gateway) or handed to the caller (SDK wrapper), without holding it up:
 * the SSE usage tap for streams, a copy of the body for JSON answers (parsed only after the last byte went out), a
 * line reader for batch results (JSONL).
 * Compression: the gateway asks the upstream for `accept-encoding: identity` on every metered endpoint and relays
 * what it gets. If an upstream compresses anyway, the client receives the compressed bytes untouched and the tap
 * reads a decompressed copy (gzip, deflate, br).
 */
import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import { OutputUsageTap } from '../wire/output-estimate.js';

export interface BodyTap {
  push(chunk: Buffer): void;
  /** Resolves once every byte pushed was read. */
  end(): Promise<void>;
}

export class SseTap implements BodyTap {
  /** The usage tap that also keeps the content events, to estimate an aborted stream's output (aborted-stream.ts). */
  readonly tap = new OutputUsageTap();
  push(chunk: Buffer): void {
    this.tap.push(chunk);
  }
  async end(): Promise<void> {
    this.tap.end();
  }
}

/** Keeps a copy of the body (up to `limit` bytes; beyond that `overflow` is set and nothing more is kept). */
export class CopyTap implements BodyTap {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  overflow = false;
  constructor(private readonly limit = 64 * 1024 * 1024) {}
  push(chunk: Buffer): void {
    if (this.overflow) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.overflow = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }
  async end(): Promise<void> {}
  text(): string {
    return this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
  }
  json(): unknown {
    if (this.overflow) return null;
    try {
      return JSON.parse(this.text());
    } catch {
      return null;
    }
  }
}

/** Hands each complete line (JSONL) to a callback as it arrives. */
export class LineTap implements BodyTap {
  private rest = '';
  private readonly decoder = new TextDecoder();
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: Buffer): void {
    const s = this.rest + this.decoder.decode(chunk, { stream: true });
    const lines = s.split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) this.onLine(l);
  }
  async end(): Promise<void> {
    const s = this.rest + this.decoder.decode();
    this.rest = '';
    if (s.trim()) this.onLine(s);
  }
}

/** Wraps a tap so it reads the decompressed body of a response sent with `content-encoding`. */
export function decodingTap(encoding: string | undefined, inner: BodyTap): BodyTap {
  const enc = (encoding ?? '').trim().toLowerCase();
  let z: Gunzip | ReturnType<typeof createBrotliDecompress> | ReturnType<typeof createInflate>;
  if (enc === 'gzip' || enc === 'x-gzip') z = createGunzip();
  else if (enc === 'br') z = createBrotliDecompress();
  else if (enc === 'deflate') z = createInflate();
  else return inner;
  const stream = z;
  stream.on('data', (c: Buffer) => inner.push(c));
  const done = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('error', () => resolve());
  });
  return {
    push(chunk) {
      stream.write(chunk);
    },
    async end() {
      stream.end();
      await done;
      await inner.end();
    },
  };
}
