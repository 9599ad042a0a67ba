/**
 * Server-sent events as the Messages API speaks them: `event: NAME\ndata: JSON\n\n`.
 * The parser is incremental (feed it chunks as they arrive, split anywhere, even inside a UTF-8 character) and
 * hands each complete event to a callback; it never holds more than one unfinished event.
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  readonly event: string;
  /** The raw `data:` payload (lines joined with "\n"). */
  readonly data: string;
}

export function encodeSse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private event = '';
  private data: string[] = [];

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  push(chunk: Buffer | Uint8Array | string): void {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk as Buffer);
    let start = 0;
    for (;;) {
      const nl = this.buf.indexOf('\n', start);
      if (nl < 0) break;
      let lineEnd = nl;
      if (lineEnd > start && this.buf.charCodeAt(lineEnd - 1) === 13) lineEnd--;
      this.line(this.buf.slice(start, lineEnd));
      start = nl + 1;
    }
    this.buf = start === 0 ? this.buf : this.buf.slice(start);
  }

  /** Call at end of stream: a final event without its blank line is still delivered. */
  end(): void {
    this.buf += this.decoder.end();
    if (this.buf.length > 0) {
      this.line(this.buf.replace(/\r$/, ''));
      this.buf = '';
    }
    this.line('');
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== '') {
        this.onEvent({ event: this.event || 'message', data: this.data.join('\n') });
      }
      this.event = '';
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
