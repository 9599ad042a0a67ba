/**
 * Admin API reports computed from the emulator's ledger, in the official shapes, so usage and cost reconciliation
 * can be tested offline:
 *
 * - GET /v1/organizations/usage_report/messages: `starting_at` (required), `ending_at`, `bucket_width` 1m|1h|1d
 *   (default 1d), `limit`, `page`, `group_by[]` (api_key_id, workspace_id, model, service_tier, context_window,
 *   inference_geo, speed) and the filters `models[]`, `workspace_ids[]`, `api_key_ids[]`, `service_tiers[]`,
 *   `context_window[]`, `inference_geos[]`, `speeds[]`.
 * - GET /v1/organizations/cost_report: daily buckets only, `limit` 1-31 (default 7), `group_by[]` workspace_id and
 *   description; amounts are USD cents as exact decimal strings, from the one cost engine.
 *
 * Both answer `{data: [{starting_at, ending_at, results: [...]}], has_more, next_page}`. The default workspace
 * reports `workspace_id: null`; API key ids are `apikey_` + the ledger's key hash.
 */
import type { Catalog } from '../pricing/catalog.js';
import { priceUsage, type CostBreakdown } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import { tokenLines } from '../pricing/usage.js';
import { ApiError } from '../wire/errors.js';
import type { Ledger, LedgerEntry } from './ledger.js';

const WIDTH_MS = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
const LIMITS = { '1m': [60, 1440], '1h': [24, 168], '1d': [7, 31] } as const;
type Width = keyof typeof WIDTH_MS;

function bad(message: string): never {
  throw new ApiError('invalid_request_error', message);
}

function multi(q: URLSearchParams, name: string): string[] {
  return [...q.getAll(`${name}[]`), ...q.getAll(name)].flatMap((v) => v.split(',')).filter((v) => v !== '');
}

function time(q: URLSearchParams, name: string): number | null {
  const v = q.get(name);
  if (v === null) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) bad(`${name}: must be an RFC 3339 timestamp (got "${v}")`);
  return t;
}

export interface Dimensions {
  api_key_id: string;
  workspace_id: string | null;
  model: string;
  service_tier: string;
  context_window: string;
  inference_geo: string;
  speed: string;
}

function dims(e: LedgerEntry): Dimensions {
  const l = tokenLines(e.usage);
  const prompt = l.input + l.cache_read + l.cache_write_5m + l.cache_write_1h;
  return {
    api_key_id: `apikey_${e.apiKeyHash}`,
    workspace_id: e.workspace === 'default' ? null : e.workspace,
    model: e.model,
    service_tier: e.usage.service_tier ?? 'standard',
    context_window: prompt > 200_000 ? '200k-1M' : '0-200k',
    inference_geo: e.usage.inference_geo || 'not_available',
    speed: e.usage.speed ?? 'standard',
  };
}

interface Window {
  readonly buckets: { start: number; end: number }[];
  readonly hasMore: boolean;
  readonly nextPage: string | null;
}

function windowOf(q: URLSearchParams, width: Width, now: number, maxLimit: number, defLimit: number): Window {
  const startRaw = time(q, 'starting_at');
  if (startRaw === null) bad('starting_at: Field required');
  const page = q.get('page');
  let start = startRaw;
  if (page) {
    const decoded = Date.parse(Buffer.from(page.replace(/^page_/, ''), 'base64url').toString('utf8'));
    if (Number.isNaN(decoded)) bad('page: invalid page token');
    start = decoded;
  }
  const w = WIDTH_MS[width];
  start = Math.floor(start / w) * w;
  const endRaw = time(q, 'ending_at');
  const end = endRaw ?? Math.ceil((now + 1) / w) * w;
  const limitRaw = q.get('limit');
  const limit = limitRaw === null ? defLimit : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) bad(`limit: must be between 1 and ${maxLimit} for bucket_width ${width}`);
  const buckets: { start: number; end: number }[] = [];
  let t = start;
  while (t < end && buckets.length < limit) {
    buckets.push({ start: t, end: t + w });
    t += w;
  }
  const hasMore = t < end;
  return { buckets, hasMore, nextPage: hasMore ? `page_${Buffer.from(new Date(t).toISOString()).toString('base64url')}` : null };
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

function filterEntries(entries: readonly LedgerEntry[], q: URLSearchParams): { e: LedgerEntry; d: Dimensions }[] {
  const f: [keyof Dimensions, string[]][] = [
    ['model', multi(q, 'models')], ['workspace_id', multi(q, 'workspace_ids')], ['api_key_id', multi(q, 'api_key_ids')],
    ['service_tier', multi(q, 'service_tiers')], ['context_window', multi(q, 'context_window')], ['inference_geo', multi(q, 'inference_geos')], ['speed', multi(q, 'speeds')],
  ];
  return entries.map((e) => ({ e, d: dims(e) })).filter(({ d }) => f.every(([k, vs]) => vs.length === 0 || vs.includes(String(d[k]))));
}

const USAGE_GROUPS: readonly (keyof Dimensions)[] = ['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window', 'inference_geo', 'speed'];

export function usageReport(ledger: Ledger, q: URLSearchParams, now: number): Record<string, unknown> {
  const width = (q.get('bucket_width') ?? '1d') as Width;
  if (!(width in WIDTH_MS)) bad('bucket_width: must be one of 1m, 1h, 1d');
  const groups = multi(q, 'group_by') as (keyof Dimensions)[];
  for (const g of groups) if (!USAGE_GROUPS.includes(g)) bad(`group_by: unknown dimension "${g}"`);
  const win = windowOf(q, width, now, LIMITS[width][1], LIMITS[width][0]);
  const rows = filterEntries(ledger.entries(), q);
  const data = win.buckets.map((b) => {
    const acc = new Map<string, Record<string, unknown> & { _t: number[] }>();
    for (const { e, d } of rows) {
      if (e.time < b.start || e.time >= b.end) continue;
      const keyObj = Object.fromEntries(USAGE_GROUPS.map((g) => [g, groups.includes(g) ? d[g] : null]));
      const k = JSON.stringify(keyObj);
      const r = acc.get(k) ?? { ...keyObj, _t: [0, 0, 0, 0, 0, 0] };
      const l = tokenLines(e.usage);
      const t = r._t;
      t[0]! += l.input;
      t[1]! += l.cache_write_5m;
      t[2]! += l.cache_write_1h;
      t[3]! += l.cache_read;
      t[4]! += l.output;
      t[5]! += e.usage.server_tool_use?.web_search_requests ?? 0;
      acc.set(k, r);
    }
    const results = [...acc.values()].map(({ _t, ...keys }) => ({
      uncached_input_tokens: _t[0],
      cache_creation: { ephemeral_5m_input_tokens: _t[1], ephemeral_1h_input_tokens: _t[2] },
      cache_read_input_tokens: _t[3],
      output_tokens: _t[4],
      server_tool_use: { web_search_requests: _t[5] },
      ...keys,
    }));
    return { starting_at: iso(b.start), ending_at: iso(b.end), results };
  });
  return { data, has_more: win.hasMore, next_page: win.nextPage };
}

/** Pico-dollars as USD cents, an exact decimal string ("12.3456"). */
export function picoToCents(p: Pico): string {
  const unit = 10_000_000_000n; // pico per cent
  const neg = p < 0n;
  const a = neg ? -p : p;
  const frac = (a % unit).toString().padStart(10, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / unit}${frac ? '.' + frac : ''}`;
}

const TOKEN_TYPES: readonly [keyof CostBreakdown, string, string][] = [
  ['input', 'uncached_input_tokens', 'Input Tokens'],
  ['output', 'output_tokens', 'Output Tokens'],
  ['cache_read', 'cache_read_input_tokens', 'Cache Read Input Tokens'],
  ['cache_write_5m', 'cache_creation.ephemeral_5m_input_tokens', 'Cache Write 5m Input Tokens'],
  ['cache_write_1h', 'cache_creation.ephemeral_1h_input_tokens', 'Cache Write 1h Input Tokens'],
];

export function costReport(ledger: Ledger, catalog: Catalog, q: URLSearchParams, now: number): Record<string, unknown> {
  const width = q.get('bucket_width') ?? '1d';
  if (width !== '1d') bad('bucket_width: the cost report supports only 1d');
  const groups = multi(q, 'group_by');
  for (const g of groups) if (g !== 'workspace_id' && g !== 'description') bad(`group_by: unknown dimension "${g}" (workspace_id, description)`);
  const byWs = groups.includes('workspace_id');
  const byDesc = groups.includes('description');
  const win = windowOf(q, '1d', now, 31, 7);
  const rows = filterEntries(ledger.entries(), q);
  const data = win.buckets.map((b) => {
    const acc = new Map<string, { row: Record<string, unknown>; pico: Pico }>();
    const add = (row: Record<string, unknown>, pico: Pico): void => {
      if (pico === 0n && byDesc) return;
      const k = JSON.stringify(row);
      const cur = acc.get(k) ?? { row, pico: 0n };
      cur.pico += pico;
      acc.set(k, cur);
    };
    for (const { e, d } of rows) {
      if (e.time < b.start || e.time >= b.end) continue;
      const ws = byWs ? d.workspace_id : null;
      if (!byDesc) {
        add({ workspace_id: ws, description: null, cost_type: null, context_window: null, model: null, service_tier: null, token_type: null, inference_geo: null }, e.costPico);
        continue;
      }
      const br = priceUsage(catalog, e.model, e.usage).breakdown;
      const name = catalog.resolve(e.model).entry.name;
      const common = { workspace_id: ws, context_window: d.context_window, model: d.model, service_tier: d.service_tier, inference_geo: d.inference_geo };
      for (const [line, tokenType, label] of TOKEN_TYPES) {
        add({ ...common, description: `${name} Usage - ${label}`, cost_type: 'tokens', token_type: tokenType }, br[line]);
      }
      add({ ...common, description: `${name} Usage - Web Search`, cost_type: 'web_search', token_type: null }, br.server_tools);
    }
    const results = [...acc.values()].map(({ row, pico }) => ({ currency: 'USD', amount: picoToCents(pico), ...row }));
    return { starting_at: iso(b.start), ending_at: iso(b.end), results };
  });
  return { data, has_more: win.hasMore, next_page: win.nextPage };
}
