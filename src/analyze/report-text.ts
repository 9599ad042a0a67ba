/** The terminal report: tables that fit the terminal width (columns dropped by priority, keys shortened). */
import { formatUsd, type Pico } from '../pricing/money.js';
import { cacheHitRate, type Bucket } from './aggregate.js';
import type { Report } from './report-json.js';

interface Col {
  readonly head: string;
  /** Lower is dropped first when the table is too wide. */
  readonly priority: number;
  readonly cell: (b: Bucket) => string;
}

export function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

export function usd(p: Pico): string {
  const abs = p < 0n ? -p : p;
  const s = formatUsd(p, abs >= 1_000_000_000_000n ? 2 : 4);
  return s.replace(/\d(?=(\d{3})+\.)/g, '$&,');
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

const COLS: readonly Col[] = [
  { head: 'requests', priority: 6, cell: (b) => b.requests.toLocaleString('en-US') },
  { head: 'cost', priority: 9, cell: (b) => usd(b.cost) },
  { head: 'input', priority: 2, cell: (b) => compact(b.tokens.input) },
  { head: 'write 5m', priority: 3, cell: (b) => compact(b.tokens.cache_write_5m) },
  { head: 'write 1h', priority: 3, cell: (b) => compact(b.tokens.cache_write_1h) },
  { head: 'read', priority: 4, cell: (b) => compact(b.tokens.cache_read) },
  { head: 'output', priority: 5, cell: (b) => compact(b.tokens.output) },
  { head: 'hit', priority: 7, cell: (b) => pct(cacheHitRate(b.tokens)) },
  { head: 'unread writes', priority: 1, cell: (b) => compact(b.wastedWriteTokens) },
  { head: 'trunc', priority: 1, cell: (b) => String(b.truncations) },
];

export function table(title: string, keyHead: string, rows: readonly Bucket[], terminalWidth: number): string {
  const width = terminalWidth - 2; // lines are indented by two spaces
  let cols = [...COLS];
  const render = (cs: readonly Col[], keyWidth: number): string[] => {
    const cells = rows.map((b) => cs.map((c) => c.cell(b)));
    const widths = cs.map((c, i) => Math.max(c.head.length, ...cells.map((r) => r[i]!.length)));
    const key = (s: string): string => (s.length > keyWidth ? `${s.slice(0, Math.max(1, keyWidth - 1))}…` : s.padEnd(keyWidth));
    const line = (k: string, r: readonly string[]): string => [key(k), ...r.map((c, i) => c.padStart(widths[i]!))].join('  ');
    return [line(keyHead, cs.map((c) => c.head)), ...rows.map((b, j) => line(b.key, cells[j]!))];
  };
  const keyLen = Math.max(keyHead.length, ...rows.map((r) => r.key.length));
  let keyWidth = keyLen;
  let lines = render(cols, keyWidth);
  while ((lines[0]?.length ?? 0) > width) {
    const overflow = (lines[0]?.length ?? 0) - width;
    if (keyWidth > 12) {
      keyWidth = Math.max(12, keyWidth - overflow);
    } else {
      const lowest = Math.min(...cols.map((c) => c.priority));
      if (cols.length <= 2) break;
      const drop = cols.map((c) => c.priority).lastIndexOf(lowest);
      cols = cols.filter((_, i) => i !== drop);
      keyWidth = keyLen;
    }
    lines = render(cols, keyWidth);
  }
  return `${title}\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

export function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur.length > 0 && indent.length + cur.length + 1 + w.length > width) {
      out.push(indent + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(indent + cur);
  return out.join('\n');
}

export function reportText(r: Report, width = 100): string {
  const a = r.agg;
  const w = r.whatif;
  const t = a.totals;
  const parts: string[] = [];
  const period = a.first === null || a.last === null ? 'no requests' : `${new Date(a.first).toISOString().slice(0, 16).replace('T', ' ')} to ${new Date(a.last).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  parts.push(`clawback analyze: ${t.requests.toLocaleString('en-US')} requests, ${period}`);
  for (const s of r.sources) {
    const bits = [`${s.kind} ${s.location}`, `${s.files} file(s)`, `${s.lines.toLocaleString('en-US')} lines`, `${compact(s.bytes)}B`];
    if (s.duplicates > 0) bits.push(`${s.duplicates.toLocaleString('en-US')} duplicate lines dropped`);
    if (s.malformed > 0) bits.push(`${s.malformed} malformed lines skipped (first: ${s.malformedSamples[0] ?? ''})`);
    parts.push(wrap(bits.join(', '), width, '  '));
  }
  parts.push('');
  parts.push(`Spend ${usd(t.cost)}`);
  parts.push(wrap(`tokens: input ${compact(t.tokens.input)}, cache write 5m ${compact(t.tokens.cache_write_5m)}, cache write 1h ${compact(t.tokens.cache_write_1h)}, cache read ${compact(t.tokens.cache_read)}, output ${compact(t.tokens.output)}; web searches ${t.webSearches}`, width, '  '));
  parts.push(wrap(`cache hit rate ${pct(cacheHitRate(t.tokens))} (read / (read + write + uncached input)); cache writes never read: ${compact(t.wastedWriteTokens)} tokens, ${usd(t.wastedWritePremium)} paid above uncached input; truncated answers (max_tokens): ${t.truncations}`, width, '  '));
  for (const u of a.unknownModels) {
    parts.push(wrap(`NOT PRICED: model "${u.model}" is not in the price catalog: ${u.requests} requests, input ${compact(u.tokens.input)}, cache write ${compact(u.tokens.cache_write_5m + u.tokens.cache_write_1h)}, cache read ${compact(u.tokens.cache_read)}, output ${compact(u.tokens.output)} tokens. Add it under "pricing" in the config file.`, width, '  '));
  }
  for (const f of a.priceFailures) parts.push(wrap(`NOT PRICED: ${f.requests} requests: ${f.message}`, width, '  '));
  parts.push('');
  parts.push(table(`By ${a.by}`, a.by, a.groups.slice(0, 40), width));
  if (a.groups.length > 40) parts.push(`  … ${a.groups.length - 40} more (use --json for all)\n`);
  if (a.by !== 'model') parts.push(table('By model', 'model', a.byModel, width));
  if (a.by !== 'session') parts.push(table('Top sessions', 'session', a.topSessions, width));
  parts.push(`What if (each saving is measured against a replay of the traffic as it was: ${usd(w.replayBaseline)}, ${usd(w.replayBaseline - w.actual)} from the actual bill)`);
  const rows = [...w.levers, w.combined, w.oracle];
  const name = (l: string): string => (l === 'combined' ? 'all together' : l === 'oracle' ? 'oracle floor' : l.replace('_', ' '));
  for (const e of rows) {
    const share = t.cost > 0n ? `${((Number(e.saving) / Number(t.cost)) * 100).toFixed(1)}%` : '-';
    parts.push(`  ${name(e.lever).padEnd(13)} would cost ${usd(e.cost).padStart(12)}   saving ${usd(e.saving).padStart(12)} (${share})`);
    parts.push(wrap(e.assumption, width, '      '));
  }
  parts.push(wrap(`Cache engine: ${w.cacheEngine}.`, width, '  '));
  return parts.join('\n') + '\n';
}
