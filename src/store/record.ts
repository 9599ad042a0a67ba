/**
 * One metered request: what the gateway (or the SDK wrapper, or the batch worker) writes to the usage store for
 * every request it handled, including errors and aborted streams. Money is integer pico-dollars (bigint).
 * This is a contract: the store, `analyze`, the dashboard and the budgets all read it.
 */
import type { Usage } from '../pricing/usage.js';

export type LeverName = 'caching' | 'routing' | 'output' | 'compression' | 'batching';
export const LEVERS: readonly LeverName[] = ['caching', 'routing', 'output', 'compression', 'batching'];

export type Outcome =
  | 'ok' // the client received the whole response
  | 'error' // an error status or an SSE error event
  | 'aborted' // the client went away before the end; what the upstream billed is still recorded
  | 'rejected'; // refused by clawback itself (budget, bad input, auth) without calling upstream

export interface PrefixFingerprint {
  /** Block position in prefix order. */
  readonly i: number;
  /** Cumulative hash through this block (see wire/prefix.ts). */
  readonly h: string;
  /** Estimated cumulative tokens through this block. */
  readonly t: number;
  /** Breakpoint TTL at this block, if the request (after levers) had one. */
  readonly bp?: '5m' | '1h';
}

export interface UsageRecord {
  /** clawback's own id for the request (also sent back as `x-clawback-request-id`). */
  readonly id: string;
  /** The upstream's `request-id` header, if any. */
  readonly requestId: string | null;
  readonly messageId: string | null;
  readonly source: 'gateway' | 'sdk' | 'batch';
  readonly endpoint: 'messages' | 'count_tokens' | 'batches' | 'models' | 'other';
  readonly method: string;
  readonly path: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly firstByteAt: number | null;
  readonly endedAt: number | null;
  readonly requestedModel: string | null;
  readonly servedModel: string | null;
  readonly stream: boolean;
  readonly status: number;
  readonly outcome: Outcome;
  readonly stopReason: string | null;
  readonly errorType: string | null;
  /** The full usage object as the API returned it (null when there was none). */
  readonly usage: Usage | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheWrite5mTokens: number;
  readonly cacheWrite1hTokens: number;
  readonly cacheReadTokens: number;
  readonly webSearchRequests: number;
  /** What the request cost, from the usage the API returned. */
  readonly costPico: bigint;
  /** What the request the client sent would have cost without clawback (equals costPico when no lever acted). */
  readonly baselinePico: bigint;
  /** baseline - cost, attributed per lever (levers that did nothing are absent). */
  readonly savingsPico: Partial<Record<LeverName, bigint>>;
  readonly keyHash: string | null;
  readonly keyLast4: string | null;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly batchId: string | null;
  readonly customId: string | null;
  /** Upstream attempts beyond the first. */
  readonly retries: number;
  /** The requested max_tokens, for truncation and output-budget statistics. */
  readonly maxTokens: number | null;
  readonly prefix: readonly PrefixFingerprint[];
  /** What each lever decided for this request (mode, applied, reason), for forensics. */
  readonly decisions: readonly LeverDecisionRecord[];
  /** Prompt text, only when configured to store it. */
  readonly promptText: string | null;
}

export interface LeverDecisionRecord {
  readonly lever: LeverName;
  readonly mode: 'off' | 'observe' | 'enforce';
  readonly applied: boolean;
  readonly summary: string;
  /** Estimated saving in pico-dollars, as a decimal string (JSON has no bigint). */
  readonly estimatedSavingPico?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface RecordQuery {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, exclusive. */
  readonly until?: number;
  readonly sessionId?: string;
  readonly keyHash?: string;
  readonly limit?: number;
  /** Newest first when true. */
  readonly newestFirst?: boolean;
}

/** The usage store: SQLite by default (store/sqlite.ts), Postgres by URL. */
export interface UsageStore {
  /** Queues a record; it reaches disk within the store's documented flush interval. Never blocks on I/O. */
  append(rec: UsageRecord): void;
  /** Writes everything queued; resolves when it is durable. */
  flush(): Promise<void>;
  query(q: RecordQuery): Promise<UsageRecord[]>;
  close(): Promise<void>;
  /** Records appended and not yet written; absent when the store cannot tell. */
  readonly pending?: number;
}
