/**
 * Generic usage logs from any other app: JSONL (one object per line) or CSV (a header row, then one row per
 * request). Schema (README "Analyze your spend"):
 *
 *   timestamp   ISO 8601 or epoch milliseconds (required)
 *   model       model id (required)
 *   usage       the API's usage object, or flat columns instead: input_tokens, output_tokens,
 *               cache_creation_input_tokens (all 5m) or cache_write_5m_tokens / cache_write_1h_tokens,
 *               cache_read_input_tokens (or cache_read_tokens), web_search_requests
 *   optional    session, project, key, tags ({"team":"x"} or "team=x;feature=y"), stop_reason, max_tokens,
 *               deferrable (true/1: needed no interactive answer), service_tier ("batch"), request (the request
 *               body, JSONL only), request_id, message_id (both present: duplicates dropped)
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Usage } from '../pricing/usage.js';
import { newStats, noteMalformed, type SourceStats } from './record.js';
import { RecordTable } from './record-table.js';

const count = z.coerce.number().int().nonnegative();
const optCount = count.optional();

export const GenericRowSchema = z.looseObject({
  timestamp: z.union([z.string().min(1), z.number()]),
  model: z.string().min(1),
  usage: z.looseObject({}).optional(),
  input_tokens: optCount,
  output_tokens: optCount,
  cache_creation_input_tokens: optCount,
  cache_write_5m_tokens: optCount,
  cache_write_1h_tokens: optCount,
  cache_read_input_tokens: optCount,
  cache_read_tokens: optCount,
  web_search_requests: optCount,
  session: z.string().optional(),
  project: z.string().optional(),
  key: z.string().optional(),
  tags: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), z.string()]).optional(),
  stop_reason: z.string().optional(),
  max_tokens: optCount,
  deferrable: z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])]).optional(),
  service_tier: z.string().optional(),
  request: z.looseObject({}).optional(),
  request_id: z.string().optional(),
  message_id: z.string().optional(),
});
export type GenericRow = z.infer<typeof GenericRowSchema>;

function parseTags(t: GenericRow['tags']): Record<string, string> | null {
  if (t === undefined) return null;
  const out: Record<string, string> = {};
  if (typeof t === 'string') {
    for (const part of t.split(/[;,]/)) {
      const eq = part.indexOf('=');
      if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  } else {
    for (const [k, v] of Object.entries(t)) out[k] = String(v);
  }
  return Object.keys(out).length > 0 ? out : null;
}

function toUsage(r: GenericRow): Usage {
  if (r.usage) return r.usage as Usage;
  const w5 = r.cache_write_5m_tokens ?? (r.cache_write_1h_tokens === undefined ? (r.cache_creation_input_tokens ?? 0) : 0);
  const w1 = r.cache_write_1h_tokens ?? 0;
  return {
    input_tokens: r.input_tokens ?? 0,
    output_tokens: r.output_tokens ?? 0,
    cache_creation_input_tokens: w5 + w1,
    cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
    cache_read_input_tokens: r.cache_read_input_tokens ?? r.cache_read_tokens ?? 0,
    server_tool_use: { web_search_requests: r.web_search_requests ?? 0 },
    ...(r.service_tier ? { service_tier: r.service_tier } : {}),
  };
}

/** Adds one validated row; returns a reason when it cannot be used. */
export function addGenericRow(table: RecordTable, raw: unknown): string | null {
  const parsed = GenericRowSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return `${i?.path.join('.') || 'row'}: ${i?.message ?? 'invalid'}`;
  }
  const r = parsed.data;
  const ts = typeof r.timestamp === 'number' ? r.timestamp : /^\d+$/.test(r.timestamp) ? Number(r.timestamp) : Date.parse(r.timestamp);
  if (!Number.isFinite(ts)) return `timestamp: not a date (${String(r.timestamp)})`;
  const tags = parseTags(r.tags);
  const deferrable = r.deferrable === true || r.deferrable === 'true' || r.deferrable === '1' || r.deferrable === 'yes' || tags?.['defer'] !== undefined;
  const key = r.message_id && r.request_id ? `${r.message_id}\u0000${r.request_id}` : null;
  table.add(
    {
      ts,
      model: r.model,
      usage: toUsage(r),
      session: r.session ?? null,
      project: r.project ?? null,
      key: r.key ?? null,
      tags,
      stopReason: r.stop_reason ?? null,
      maxTokens: r.max_tokens ?? null,
      deferrable,
      ...(r.request ? { body: r.request } : {}),
    },
    key,
  );
  return null;
}

/** Splits one CSV line (RFC 4180 quoting; no newlines inside fields). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Reads a generic JSONL or CSV file into `table` (a new one by default). */
export async function readGeneric(path: string, format: 'jsonl' | 'csv', table = new RecordTable()): Promise<{ table: RecordTable; stats: SourceStats }> {
  const stats = newStats(format, path);
  stats.files = 1;
  stats.bytes = (await stat(path)).size;
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let header: string[] | null = null;
  let lineNo = 0;
  const before = table.duplicates;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    stats.lines++;
    let raw: unknown;
    if (format === 'csv') {
      const cells = splitCsv(line);
      if (header === null) {
        header = cells.map((h) => h.trim());
        continue;
      }
      const obj: Record<string, string> = {};
      header.forEach((h, i) => {
        const v = cells[i];
        if (v !== undefined && v !== '') obj[h] = v;
      });
      raw = obj;
    } else {
      try {
        raw = JSON.parse(line);
      } catch (err) {
        noteMalformed(stats, `${path}:${lineNo}`, (err as Error).message);
        continue;
      }
    }
    const problem = addGenericRow(table, raw);
    if (problem !== null) noteMalformed(stats, `${path}:${lineNo}`, problem);
  }
  stats.duplicates = table.duplicates - before;
  return { table, stats };
}
