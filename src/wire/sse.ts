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
  /** The unfinished line carried over from the previous chunk. */
  private buf = '';
  private event = '';
  /** The event's data lines joined with "\n", or null before its first data line. */
  private data: string | null = null;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  push(chunk: Buffer | Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk as Buffer);
    // Lines are read in place (offsets into the text), not cut into strings of their own first.
    const s = this.buf.length === 0 ? text : this.buf + text;
    let start = 0;
    for (;;) {
      const nl = s.indexOf('\n', start);
      if (nl < 0) break;
      this.line(s, start, nl > start && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
    }
    this.buf = start === 0 ? s : s.slice(start);
  }

  /** Call at end of stream: a final event without its blank line is still delivered. */
  end(): void {
    const rest = this.buf + this.decoder.end();
    this.buf = '';
    if (rest.length > 0) this.line(rest, 0, rest.charCodeAt(rest.length - 1) === 13 ? rest.length - 1 : rest.length);
    this.line('', 0, 0);
  }

  /** The line s[start, end). Only `event` and `data` matter here; comments and other fields are skipped unread. */
  private line(s: string, start: number, end: number): void {
    if (start === end) {
      if (this.data !== null || this.event !== '') {
        this.onEvent({ event: this.event || 'message', data: this.data ?? '' });
      }
      this.event = '';
      this.data = null;
      return;
    }
    if (s.startsWith('data', start)) {
      const v = this.value(s, start + 4, end);
      if (v !== null) this.data = this.data === null ? v : `${this.data}\n${v}`;
    } else if (s.startsWith('event', start)) {
      const v = this.value(s, start + 5, end);
      if (v !== null) this.event = v;
    }
  }

  /** The value of a field whose name ends at `at`: after its colon and one optional space; null if the name goes on. */
  private value(s: string, at: number, end: number): string | null {
    if (at >= end) return at === end ? '' : null;
    if (s.charCodeAt(at) !== 58 /* ':' */) return null;
    const from = at + 1 < end && s.charCodeAt(at + 1) === 32 ? at + 2 : at + 1;
    return s.slice(from, end);
  }
}
