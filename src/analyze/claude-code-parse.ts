/**
 * Reads one Claude Code log file (JSONL) into records, streaming, without parsing lines that cannot carry usage.
 *
 * Rules (clients-and-peers.md, "Claude Code logs"):
 * - Only `type: "assistant"` lines with `message.usage` are billed requests; other line types are skipped.
 * - A line that is not a JSON object is counted as malformed (never fatal). Lines without `"usage"` are only
 *   checked for their shape ({...}) and never decoded; a truncated write (the usual damage) fails that check.
 * - Unknown keys are ignored. Claude Code's `<synthetic>` messages (written locally, never billed) are skipped.
 * - The pair (message.id, requestId) is the dedupe key (the table dedupes; tables of several threads merge).
 */
import { open } from 'node:fs/promises';
import { basename, dirname, sep } from 'node:path';
import type { Usage } from '../pricing/usage.js';
import { noteMalformed, type SourceStats } from './record.js';
import type { RecordTable } from './record-table.js';
import { scanLine, type LineFields } from './claude-code-scan.js';
import { keyFromBytes, keyFromString, scratchKey, type Key } from './key-index.js';
import { newUsageFields, usageFields } from './usage-scan.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Session and project a file belongs to, from its path: `<projects>/<project>/<session>.jsonl` or
 * `<projects>/<project>/<session>/subagents/<agent>.jsonl`. The lines' own sessionId wins when present.
 */
export function fileContext(path: string): { session: string; project: string; subagent: boolean } {
  const parts = path.split(sep);
  const n = parts.length;
  if (n >= 4 && parts[n - 2] === 'subagents') {
    return { session: parts[n - 3] ?? '', project: parts[n - 4] ?? '', subagent: true };
  }
  return { session: basename(path, '.jsonl'), project: basename(dirname(path)), subagent: false };
}

function fieldsOf(obj: unknown): LineFields | null {
  if (!isObj(obj)) return null;
  const message = obj['message'];
  if (!isObj(message)) return null;
  return {
    type: obj['type'],
    ts: obj['timestamp'],
    requestId: obj['requestId'],
    sessionId: obj['sessionId'],
    sidechain: obj['isSidechain'] === true,
    msgId: message['id'],
    msgAt: -1,
    msgEnd: -1,
    reqAt: -1,
    reqEnd: -1,
    model: message['model'],
    stop: message['stop_reason'],
    usage: message['usage'],
    fields: null,
    tsMs: null,
  };
}

type Ctx = ReturnType<typeof fileContext>;

/** Parses one line with JSON.parse and adds it when it is a billed request. Malformed lines go to stats. */
export function parseLine(line: string, ctx: Ctx, stats: SourceStats, where: () => string, table: RecordTable): void {
  let f: LineFields | null;
  try {
    f = fieldsOf(JSON.parse(line));
  } catch (err) {
    noteMalformed(stats, where(), (err as Error).message);
    return;
  }
  billed(f, null, ctx, stats, where, table);
}

/** The dedupe key of a line: message.id + NUL + requestId (both non-empty strings), or null. */
function keyOf(f: LineFields, b: Buffer | null): Key | null {
  if (b !== null && f.msgAt >= 0 && f.reqAt >= 0) {
    if (f.msgEnd === f.msgAt || f.reqEnd === f.reqAt) return null;
    if (keyFromBytes(b, f.msgAt, f.msgEnd, f.reqAt, f.reqEnd)) return scratchKey;
  }
  const msgId = b !== null && f.msgAt >= 0 ? b.toString('utf8', f.msgAt, f.msgEnd) : f.msgId;
  const reqId = b !== null && f.reqAt >= 0 ? b.toString('utf8', f.reqAt, f.reqEnd) : f.requestId;
  const m = str(msgId);
  const r = str(reqId);
  return m !== null && r !== null ? keyFromString(`${m}\u0000${r}`) : null;
}

const SUBAGENT: Readonly<Record<string, string>> = Object.freeze({ agent: 'subagent' });
const fields = newUsageFields();

/** Adds a line's fields (from the scanner on `b`, or JSON.parse: b null) to the table when the line is a billed request. */
export function billed(f: LineFields | null, b: Buffer | null, ctx: Ctx, stats: SourceStats, where: () => string, table: RecordTable): void {
  if (f === null || f.type !== 'assistant') return;
  let u = f.fields;
  let steps: Usage | null = null;
  if (u === null) {
    if (!isObj(f.usage)) return;
    const usage = f.usage as Usage;
    u = usageFields(usage, fields);
    if (Array.isArray(usage.iterations) && usage.iterations.some((it) => it && it.type !== 'message')) steps = usage;
  }
  const model = str(f.model);
  if (model === null || model === '<synthetic>') return;
  const ts = f.tsMs ?? Date.parse(String(f.ts ?? ''));
  if (!Number.isFinite(ts)) {
    noteMalformed(stats, where(), 'assistant line without a valid timestamp');
    return;
  }
  table.addParts(keyOf(f, b), ts, model, str(f.sessionId) ?? ctx.session, ctx.project, str(f.stop), ctx.subagent || f.sidechain ? SUBAGENT : null, u, steps);
}

const USAGE = Buffer.from('"usage"');
/** Read buffers free for the next file (one per file being read at the same time on this thread). */
const buffers: Buffer[] = [];
const CHUNK = 4 << 20;
const NL = 10;
const CR = 13;
const SPACE = 32;
const OPEN = 123; // {
const CLOSE = 125; // }

/**
 * Reads a file in 4 MB chunks as bytes: lines are found with Buffer.indexOf (native), and only lines that contain
 * `"usage"` are decoded and parsed. Every other line is only checked for its shape: it must start with "{" and end
 * with "}" (whitespace aside), which catches the usual damage (a line cut short by a crash).
 */
export async function parseFile(path: string, stats: SourceStats, table: RecordTable): Promise<void> {
  const ctx = fileContext(path);
  stats.files++;
  const fh = await open(path, 'r');
  // Read buffers are reused from file to file: a fresh 4 MB each time is external memory that sets off full GCs.
  let buf = buffers.pop() ?? Buffer.allocUnsafe(CHUNK);
  let len = 0;
  let lineNo = 0;
  const where = (): string => `${path}:${lineNo}`;
  const line = (view: Buffer, start: number, end: number, hasUsage: boolean): void => {
    lineNo++;
    let a = start;
    let b = end - 1;
    while (b >= a && (view[b] === CR || view[b] === SPACE)) b--;
    while (a <= b && view[a] === SPACE) a++;
    if (b < a) return;
    if (view[a] !== OPEN || view[b] !== CLOSE) {
      noteMalformed(stats, where(), 'not a JSON object (truncated line?)');
      return;
    }
    if (!hasUsage) return;
    // The targeted scanner reads the fields from the bytes; a line in an unusual shape goes through JSON.parse.
    const f = scanLine(view, a, b + 1);
    if (f !== null) billed(f, view, ctx, stats, where, table);
    else parseLine(view.toString('utf8', a, b + 1), ctx, stats, where, table);
  };
  try {
    while (true) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // one line longer than the buffer
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
      stats.bytes += bytesRead;
      const end = len + bytesRead;
      const view = buf.subarray(0, end);
      let start = 0;
      let nextUsage = view.indexOf(USAGE, 0);
      let nl = view.indexOf(NL, 0);
      while (nl >= 0) {
        if (nextUsage >= 0 && nextUsage < start) nextUsage = view.indexOf(USAGE, start);
        line(view, start, nl, nextUsage >= 0 && nextUsage < nl);
        start = nl + 1;
        nl = view.indexOf(NL, start);
      }
      if (bytesRead === 0) {
        if (start < end) line(view, start, end, view.indexOf(USAGE, start) >= 0);
        break;
      }
      buf.copy(buf, 0, start, end);
      len = end - start;
    }
  } finally {
    buffers.push(buf);
    await fh.close();
  }
  stats.lines += lineNo;
}
