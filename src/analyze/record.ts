/**
 * One billed request as `analyze` sees it, whatever it was read from (Claude Code logs, the gateway store, a generic
 * JSONL/CSV file). Sources turn their rows into these; reports and the what-if replay read only these.
 */
import type { Usage } from '../pricing/usage.js';

export type SourceKind = 'claude-code' | 'store' | 'jsonl' | 'csv' | 'admin-api';

export interface AnalyzeRecord {
  /** Epoch milliseconds when the request started (or was logged). */
  readonly ts: number;
  /** The model id as logged; resolved through the catalog when priced. */
  readonly model: string;
  readonly usage: Usage;
  readonly session: string | null;
  readonly project: string | null;
  readonly key: string | null;
  readonly tags: Readonly<Record<string, string>> | null;
  readonly stopReason: string | null;
  readonly maxTokens: number | null;
  /** The request needed no interactive answer (tagged or ruled deferrable): the batching lever may take it. */
  readonly deferrable: boolean;
  /** The request body, when the source has it (generic JSONL `request` field); the caching replay hashes it. */
  readonly body?: Readonly<Record<string, unknown>>;
}

/** What a source reports besides its records. */
export interface SourceStats {
  readonly kind: SourceKind;
  readonly location: string;
  files: number;
  lines: number;
  bytes: number;
  /** Lines that were not valid JSON (or rows that failed the schema), never fatal. */
  malformed: number;
  /** The first few malformed lines, "file:line: reason". */
  readonly malformedSamples: string[];
  /** Lines dropped because an earlier line carried the same API response (message id + request id). */
  duplicates: number;
}

export function newStats(kind: SourceKind, location: string): SourceStats {
  return { kind, location, files: 0, lines: 0, bytes: 0, malformed: 0, malformedSamples: [], duplicates: 0 };
}

export const MAX_MALFORMED_SAMPLES = 5;

export function noteMalformed(stats: SourceStats, where: string, reason: string): void {
  stats.malformed++;
  if (stats.malformedSamples.length < MAX_MALFORMED_SAMPLES) stats.malformedSamples.push(`${where}: ${reason}`);
}
