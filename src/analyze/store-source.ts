/** The gateway's usage store (SQLite file or Postgres URL) as an analyze source, read through UsageStore.query. */
import { openStore } from '../store/open.js';
import type { UsageRecord } from '../store/record.js';
import { newStats, type AnalyzeRecord, type SourceStats } from './record.js';
import type { RecordTable } from './record-table.js';

/** A metered request as an analyze record; null for requests nothing was billed for (rejected, no usage). */
export function fromUsageRecord(r: UsageRecord): AnalyzeRecord | null {
  const model = r.servedModel ?? r.requestedModel;
  if (r.outcome === 'rejected' || model === null || r.endpoint !== 'messages') return null;
  const usage = r.usage ?? {
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cache_creation_input_tokens: r.cacheWrite5mTokens + r.cacheWrite1hTokens,
    cache_creation: { ephemeral_5m_input_tokens: r.cacheWrite5mTokens, ephemeral_1h_input_tokens: r.cacheWrite1hTokens },
    cache_read_input_tokens: r.cacheReadTokens,
    server_tool_use: { web_search_requests: r.webSearchRequests },
  };
  const tags = Object.keys(r.tags).length > 0 ? r.tags : null;
  return {
    ts: r.startedAt,
    model,
    usage: r.batchId !== null && !usage.service_tier ? { ...usage, service_tier: 'batch' } : usage,
    session: r.sessionId,
    project: r.tags['project'] ?? null,
    key: r.keyLast4 !== null ? `...${r.keyLast4}` : r.keyHash,
    tags,
    stopReason: r.stopReason,
    maxTokens: r.maxTokens,
    deferrable: r.tags['defer'] !== undefined || r.decisions.some((d) => d.lever === 'batching' && d.applied),
  };
}

export async function readStore(db: string, table: RecordTable, range: { since?: number; until?: number } = {}): Promise<SourceStats> {
  const stats = newStats('store', db);
  const store = await openStore(db, { flushOnExit: false });
  try {
    const before = table.duplicates;
    const records = await store.query({ ...(range.since !== undefined ? { since: range.since } : {}), ...(range.until !== undefined ? { until: range.until } : {}) });
    stats.lines = records.length;
    for (const r of records) {
      const a = fromUsageRecord(r);
      if (a) table.add(a, `store\u0000${r.id}`);
    }
    stats.duplicates = table.duplicates - before;
  } finally {
    await store.close();
  }
  return stats;
}
