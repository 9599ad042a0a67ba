/**
 * Reads what a streamed response will be billed for, from its events, without holding the stream:
 * `message_start` carries the input side of `usage`; each `message_delta` carries cumulative counts (fields it
 * repeats replace earlier values; null or absent fields leave them as they were); `error` marks a failed stream.
 */
import type { Usage } from '../pricing/usage.js';
import { SseParser, type SseEvent } from './sse.js';

export interface TappedResponse {
  id: string | null;
  model: string | null;
  usage: Usage | null;
  stopReason: string | null;
  stopSequence: string | null;
  sawMessageStart: boolean;
  sawMessageStop: boolean;
  error: { type: string; message: string } | null;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges a cumulative usage update: every non-null field replaces the old one; nested objects merge the same way. */
export function mergeUsage(base: Usage | null, update: unknown): Usage | null {
  if (!isObj(update)) return base;
  const out: Obj = { ...(base ?? {}) };
  for (const k in update) {
    const v = update[k];
    if (v === null || v === undefined || k === '__proto__') continue;
    const prev = out[k];
    if (isObj(v) && isObj(prev)) {
      const merged: Obj = { ...prev };
      for (const n in v) if (v[n] !== null && v[n] !== undefined && n !== '__proto__') merged[n] = v[n];
      out[k] = merged;
    } else out[k] = v;
  }
  return out as Usage;
}

export class UsageTap {
  readonly result: TappedResponse = {
    id: null, model: null, usage: null, stopReason: null, stopSequence: null,
    sawMessageStart: false, sawMessageStop: false, error: null,
  };
  private readonly parser = new SseParser((e) => this.onEvent(e));

  push(chunk: Buffer | Uint8Array | string): void {
    this.parser.push(chunk);
  }

  end(): TappedResponse {
    this.parser.end();
    return this.result;
  }

  onEvent(e: SseEvent): void {
    // Only four event types matter for billing; the rest (deltas, pings, unknown) are not parsed at all.
    switch (e.event) {
      case 'message_start': {
        const d = safeParse(e.data);
        const msg = isObj(d) && isObj(d['message']) ? d['message'] : null;
        if (!msg) return;
        this.result.sawMessageStart = true;
        if (typeof msg['id'] === 'string') this.result.id = msg['id'];
        if (typeof msg['model'] === 'string') this.result.model = msg['model'];
        this.result.usage = mergeUsage(this.result.usage, msg['usage']);
        return;
      }
      case 'message_delta': {
        const d = safeParse(e.data);
        if (!isObj(d)) return;
        const delta = d['delta'];
        if (isObj(delta)) {
          if (typeof delta['stop_reason'] === 'string') this.result.stopReason = delta['stop_reason'];
          if (typeof delta['stop_sequence'] === 'string') this.result.stopSequence = delta['stop_sequence'];
        }
        this.result.usage = mergeUsage(this.result.usage, d['usage']);
        return;
      }
      case 'message_stop':
        this.result.sawMessageStop = true;
        return;
      case 'error': {
        const d = safeParse(e.data);
        const err = isObj(d) && isObj(d['error']) ? d['error'] : null;
        this.result.error = {
          type: err && typeof err['type'] === 'string' ? err['type'] : 'api_error',
          message: err && typeof err['message'] === 'string' ? err['message'] : e.data,
        };
        return;
      }
      default:
        return;
    }
  }
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
