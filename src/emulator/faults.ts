/**
 * Faults on demand, for testing retry and failure handling. A fault spec is a string:
 *
 *   429 | 529 | 500 | mid-stream-error | slow-first-byte:MS | drop      optionally followed by @N
 *
 * where @N limits it to the first N requests it applies to (so a retry succeeds). Sources, first that applies wins:
 * the `x-emulator-fault` request header (that request only), the `faults` option / `--fault` flag, the
 * CLAWBACK_EMULATOR_FAULT environment variable (comma-separated specs). Faults apply to POST /v1/messages.
 *
 * - 429: rate_limit_error with `retry-after` and `anthropic-ratelimit-*` headers. 529: overloaded_error. 500: api_error.
 * - mid-stream-error: a streamed response sends its first events, then an `error` event (overloaded_error) and
 *   ends; it is not billed (its cache writes, made when the response began, stay). A non-streaming request gets a 529.
 * - slow-first-byte:MS: waits MS milliseconds (real time) before the response begins.
 * - drop: the connection is destroyed without a response.
 */
export type FaultKind = '429' | '529' | '500' | 'mid-stream-error' | 'slow-first-byte' | 'drop';

export interface FaultSpec {
  readonly kind: FaultKind;
  /** For slow-first-byte: the delay. */
  readonly ms?: number;
  /** Only the first N requests; unlimited when absent. */
  readonly firstN?: number;
}

export type FaultConfig = string | FaultSpec | readonly (string | FaultSpec)[];

const KINDS: readonly FaultKind[] = ['429', '529', '500', 'mid-stream-error', 'slow-first-byte', 'drop'];

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

export function parseFault(spec: string): FaultSpec {
  const m = /^\s*([a-z0-9-]+)(?::(\d+))?(?:@(\d+))?\s*$/.exec(spec);
  const kind = m?.[1] as FaultKind | undefined;
  if (!m || !kind || !KINDS.includes(kind)) {
    throw new FaultSpecError(`invalid fault "${spec}": expected one of ${KINDS.join(', ')} (slow-first-byte:MS), optionally followed by @N`);
  }
  if (kind === 'slow-first-byte' && m[2] === undefined) throw new FaultSpecError(`invalid fault "${spec}": slow-first-byte needs a delay, e.g. slow-first-byte:2000`);
  return { kind, ...(m[2] !== undefined ? { ms: Number(m[2]) } : {}), ...(m[3] !== undefined ? { firstN: Number(m[3]) } : {}) };
}

function toSpecs(c: FaultConfig | undefined): FaultSpec[] {
  if (c === undefined) return [];
  const list = typeof c === 'string' ? c.split(',').filter((s) => s.trim()) : Array.isArray(c) ? c : [c as FaultSpec];
  return list.map((s: string | FaultSpec) => (typeof s === 'string' ? parseFault(s) : s));
}

/** Decides, per request, which fault (if any) to inject. Counts requests for the @N limits. */
export class FaultInjector {
  private readonly specs: { spec: FaultSpec; used: number }[];

  constructor(config?: FaultConfig, env?: string) {
    this.specs = [...toSpecs(config), ...toSpecs(env)].map((spec) => ({ spec, used: 0 }));
  }

  /** The fault for this request; a header spec wins and is not counted against the configured ones. */
  pick(header: string | undefined): FaultSpec | null {
    if (header !== undefined && header.trim() !== '') return parseFault(header);
    for (const s of this.specs) {
      if (s.spec.firstN !== undefined && s.used >= s.spec.firstN) continue;
      s.used++;
      return s.spec;
    }
    return null;
  }
}

/** Headers that accompany a 429, shaped like the API's (resets are RFC 3339). */
export function rateLimitHeaders(now: number, retryAfterS = 1): Record<string, string> {
  const reset = new Date(now + retryAfterS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const h: Record<string, string> = { 'retry-after': String(retryAfterS) };
  for (const [k, limit] of [['requests', 50], ['tokens', 90000], ['input-tokens', 80000], ['output-tokens', 16000]] as const) {
    h[`anthropic-ratelimit-${k}-limit`] = String(limit);
    h[`anthropic-ratelimit-${k}-remaining`] = '0';
    h[`anthropic-ratelimit-${k}-reset`] = reset;
  }
  return h;
}
