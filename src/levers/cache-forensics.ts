/**
 * Cache forensics from the usage store: per session and per prefix, how many tokens were written and read, the
 * token-weighted hit rate (read / all input), the written tokens no later request ever read, the net saving after
 * the write premium (what the same input would have cost uncached, minus what it cost), what the caching lever saved
 * against the client's own caching, and for each miss its reason. Derived from the records alone: their usage, their
 * prefix fingerprints (cumulative hash and tokens per block) and the caching lever's decision.
 *
 * "Never read": a request that wrote covers the tokens (read, read + written] of its prompt. A later request in the
 * same workspace that reads R' tokens and shares the prompt's first S tokens (deepest common fingerprint hash) has
 * read min(S, R') of them. What no later request covered was written for nothing. The newest turn a session
 * ends on can never be read (nobody knows a turn is the last), so the figure is also given without the last
 * request of each session: the steady-state waste. Records without fingerprints (the gateway's `fingerprints: false`)
 * cannot be traced and count as read.
 */
import type { Catalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { LeverDecisionRecord, UsageRecord } from '../store/record.js';
import { REQUEST_OVERHEAD } from '../wire/tokens.js';

export interface CacheStats {
  requests: number;
  /** All input tokens: uncached + written + read. */
  inputTokens: number;
  uncachedTokens: number;
  write5mTokens: number;
  write1hTokens: number;
  readTokens: number;
  neverReadTokens: number;
  /** Never-read tokens, not counting what the last request of each session wrote. */
  neverReadSteadyTokens: number;
  /** Written tokens, not counting the last request of each session. */
  writtenSteadyTokens: number;
  /** Uncached price of the input minus its actual price (pico-dollars; output excluded). */
  netSavingPico: bigint;
  /** What the caching lever attributed to itself against the client's own caching (pico-dollars). */
  leverSavingPico: bigint;
  misses: Record<string, number>;
}

export interface Miss {
  readonly id: string;
  readonly startedAt: number;
  readonly sessionId: string | null;
  readonly reason: string;
  readonly detail: string | null;
  readonly inputTokens: number;
}

export interface CacheForensics {
  readonly totals: CacheStats;
  readonly sessions: ReadonlyMap<string, CacheStats>;
  readonly prefixes: ReadonlyMap<string, CacheStats>;
  readonly misses: readonly Miss[];
}

export const NO_SESSION = '(none)';
const HOUR_MS = 3_600_000;
export const NO_PREFIX = '(no breakpoint)';

export function emptyStats(): CacheStats {
  return {
    requests: 0, inputTokens: 0, uncachedTokens: 0, write5mTokens: 0, write1hTokens: 0, readTokens: 0, neverReadTokens: 0,
    neverReadSteadyTokens: 0, writtenSteadyTokens: 0, netSavingPico: 0n, leverSavingPico: 0n, misses: {},
  };
}

/** Read tokens over all input tokens (0 when there was no input). */
export function hitRate(s: CacheStats): number {
  return s.inputTokens > 0 ? s.readTokens / s.inputTokens : 0;
}

/** Never-read tokens over written tokens, steady state (sessions' last requests left out). */
export function wasteRate(s: CacheStats, steady = true): number {
  const written = steady ? s.writtenSteadyTokens : s.write5mTokens + s.write1hTokens;
  return written > 0 ? (steady ? s.neverReadSteadyTokens : s.neverReadTokens) / written : 0;
}

function cachingDecision(r: UsageRecord): LeverDecisionRecord | undefined {
  return r.decisions.find((d) => d.lever === 'caching');
}

function missOf(r: UsageRecord): { reason: string; detail: string | null } | null {
  const d = cachingDecision(r)?.detail;
  const buster = d?.['buster'];
  const detail = buster && typeof buster === 'object' && 'detail' in buster ? `${String((buster as Record<string, unknown>)['path'])}: ${String((buster as Record<string, unknown>)['detail'])}` : null;
  if (d && 'miss' in d) return d['miss'] === null || d['miss'] === undefined ? null : { reason: String(d['miss']), detail };
  if (r.cacheReadTokens > 0) return null;
  return { reason: r.cacheWrite5mTokens + r.cacheWrite1hTokens > 0 ? 'cold' : 'not cached', detail };
}

interface Writer {
  readonly rec: UsageRecord;
  readonly from: number;
  readonly to: number;
  /** Fingerprint tokens to usage tokens. */
  readonly k: number;
  covered: number;
  last: boolean;
}

function scaleOf(r: UsageRecord, total: number): number {
  const est = (r.prefix.at(-1)?.t ?? 0) + REQUEST_OVERHEAD;
  return est > 0 && total > 0 ? total / est : 1;
}

/** Forensics over usage records (any order; only successful Messages requests count). */
export function cacheForensics(records: readonly UsageRecord[], catalog: Catalog): CacheForensics {
  const recs = records
    .filter((r) => r.endpoint === 'messages' && r.status >= 200 && r.status < 300 && r.usage !== null)
    .sort((a, b) => a.startedAt - b.startedAt);
  const lastOfSession = new Map<string, string>();
  for (const r of recs) if (r.sessionId !== null) lastOfSession.set(r.sessionId, r.id);

  // Who read what each writer wrote.
  const writers: Writer[] = [];
  const byRecord = new Map<string, Writer>();
  let oldest = 0;
  for (const r of recs) {
    const total = r.inputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens;
    const k = scaleOf(r, total);
    // An entry lives at most an hour past the request that last wrote or read it, and a reader after that would
    // have covered the write already: writers older than an hour are done with.
    while (oldest < writers.length && writers[oldest]!.rec.startedAt < r.startedAt - HOUR_MS) oldest++;
    if (r.cacheReadTokens > 0) {
      const hashes = new Map(r.prefix.map((f) => [f.h, f.t]));
      for (let wi = oldest; wi < writers.length; wi++) {
        const w = writers[wi]!;
        if (w.covered >= w.to - w.from || w.rec.keyHash !== r.keyHash) continue;
        let common = 0;
        for (let i = w.rec.prefix.length - 1; i >= 0; i--) {
          const f = w.rec.prefix[i]!;
          const t = hashes.get(f.h);
          if (t !== undefined) {
            common = Math.round(t * k);
            break;
          }
        }
        const upto = Math.min(common, r.cacheReadTokens, w.to);
        if (upto > w.from) w.covered = Math.max(w.covered, upto - w.from);
      }
    }
    const written = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    if (written > 0) {
      // Without fingerprints (the gateway's `fingerprints: false`) nobody can tell what was read: not counted as waste.
      const covered = r.prefix.length === 0 ? written : 0;
      const w: Writer = { rec: r, from: r.cacheReadTokens, to: r.cacheReadTokens + written, k, covered, last: r.sessionId !== null && lastOfSession.get(r.sessionId) === r.id };
      writers.push(w);
      byRecord.set(r.id, w);
    }
  }

  const totals = emptyStats();
  const sessions = new Map<string, CacheStats>();
  const prefixes = new Map<string, CacheStats>();
  const misses: Miss[] = [];
  for (const r of recs) {
    const sKey = r.sessionId ?? NO_SESSION;
    const firstBp = r.prefix.find((f) => f.bp !== undefined);
    const pKey = firstBp ? `${firstBp.h.slice(0, 12)} (${firstBp.t} tokens)` : NO_PREFIX;
    const groups = [totals, get(sessions, sKey), get(prefixes, pKey)];
    const total = r.inputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens;
    const w = byRecord.get(r.id);
    const neverRead = w ? w.to - w.from - w.covered : 0;
    const model = r.servedModel ?? r.requestedModel;
    let net = 0n;
    if (model !== null && catalog.tryResolve(model)) {
      const batch = r.usage?.service_tier === 'batch';
      const uncached = priceUsage(catalog, model, { input_tokens: total }, { batch }).total;
      const actual = priceUsage(catalog, model, {
        input_tokens: r.inputTokens,
        cache_read_input_tokens: r.cacheReadTokens,
        cache_creation_input_tokens: r.cacheWrite5mTokens + r.cacheWrite1hTokens,
        cache_creation: { ephemeral_5m_input_tokens: r.cacheWrite5mTokens, ephemeral_1h_input_tokens: r.cacheWrite1hTokens },
      }, { batch }).total;
      net = uncached - actual;
    }
    const miss = missOf(r);
    if (miss) misses.push({ id: r.id, startedAt: r.startedAt, sessionId: r.sessionId, reason: miss.reason, detail: miss.detail, inputTokens: total });
    for (const g of groups) {
      g.requests++;
      g.inputTokens += total;
      g.uncachedTokens += r.inputTokens;
      g.write5mTokens += r.cacheWrite5mTokens;
      g.write1hTokens += r.cacheWrite1hTokens;
      g.readTokens += r.cacheReadTokens;
      g.neverReadTokens += neverRead;
      if (!w?.last) {
        g.neverReadSteadyTokens += neverRead;
        g.writtenSteadyTokens += r.cacheWrite5mTokens + r.cacheWrite1hTokens;
      }
      g.netSavingPico += net;
      g.leverSavingPico += r.savingsPico.caching ?? 0n;
      if (miss) g.misses[miss.reason] = (g.misses[miss.reason] ?? 0) + 1;
    }
  }
  return { totals, sessions, prefixes, misses };
}

function get(m: Map<string, CacheStats>, k: string): CacheStats {
  let s = m.get(k);
  if (!s) m.set(k, (s = emptyStats()));
  return s;
}
