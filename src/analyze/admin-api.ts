/**
 * Reconciliation with what Anthropic billed: reads the Admin API usage report (`/v1/organizations/usage_report/
 * messages`, daily buckets) and cost report (`/v1/organizations/cost_report`, amounts in USD cents as decimal
 * strings), pages through both, and compares them day by day with what the analyzed sources metered.
 */
import { z } from 'zod';
import { picoToUsd, type Pico } from '../pricing/money.js';
import type { Aggregate } from './aggregate.js';

const UsageResult = z.looseObject({
  uncached_input_tokens: z.number().default(0),
  cache_read_input_tokens: z.number().default(0),
  output_tokens: z.number().default(0),
  cache_creation: z.looseObject({ ephemeral_5m_input_tokens: z.number().default(0), ephemeral_1h_input_tokens: z.number().default(0) }).prefault({}),
});
const CostResult = z.looseObject({ amount: z.string(), currency: z.string().default('USD') });
const page = <T extends z.ZodType>(result: T) =>
  z.looseObject({
    data: z.array(z.looseObject({ starting_at: z.string(), ending_at: z.string(), results: z.array(result) })),
    has_more: z.boolean().default(false),
    next_page: z.string().nullable().optional(),
  });

/** USD cents as an exact decimal string ("1234.5678") to pico-dollars (1 cent = 10^10 pUSD). */
export function centsToPico(amount: string): Pico {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) throw new Error(`cost report: not a decimal amount: "${amount}"`);
  const frac = (m[3] ?? '').slice(0, 10).padEnd(10, '0');
  const v = BigInt(m[2] ?? '0') * 10_000_000_000n + BigInt(frac);
  return m[1] === '-' ? -v : v;
}

export interface AdminApiOptions {
  readonly baseUrl: string;
  readonly key: string;
  readonly agg: Aggregate;
  /** Epoch ms. */
  readonly since: number;
  readonly until: number;
  readonly fetchImpl?: typeof fetch;
}

interface DayTotals {
  cost: Pico;
  input: number;
  write: number;
  read: number;
  output: number;
}

async function pages<T>(o: AdminApiOptions, path: string, params: Record<string, string>, schema: z.ZodType<{ data: T[]; has_more: boolean; next_page?: string | null | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let next: string | null | undefined;
  for (let i = 0; i < 1000; i++) {
    const url = new URL(path, o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (next) url.searchParams.set('page', next);
    const res = await (o.fetchImpl ?? fetch)(url, { headers: { 'x-api-key': o.key, 'anthropic-version': '2023-06-01' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`Admin API ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`Admin API ${path}: unexpected response: ${parsed.error.issues[0]?.message ?? ''}`);
    out.push(...parsed.data.data);
    next = parsed.data.next_page;
    if (!parsed.data.has_more || !next) break;
  }
  return out;
}

const day = (iso: string): string => new Date(Date.parse(iso)).toISOString().slice(0, 10);

export async function reconcileAdminApi(o: AdminApiOptions): Promise<Record<string, unknown>> {
  const start = new Date(Math.floor(o.since / 86_400_000) * 86_400_000).toISOString();
  const end = new Date(Math.ceil(o.until / 86_400_000) * 86_400_000).toISOString();
  const common = { starting_at: start, ending_at: end, bucket_width: '1d', limit: '31' };
  const usage = await pages(o, 'v1/organizations/usage_report/messages', common, page(UsageResult));
  const cost = await pages(o, 'v1/organizations/cost_report', common, page(CostResult));
  const billed = new Map<string, DayTotals>();
  const get = (d: string): DayTotals => {
    let t = billed.get(d);
    if (!t) billed.set(d, (t = { cost: 0n, input: 0, write: 0, read: 0, output: 0 }));
    return t;
  };
  for (const b of usage) {
    const t = get(day(b.starting_at));
    for (const r of b.results) {
      t.input += r.uncached_input_tokens;
      t.write += r.cache_creation.ephemeral_5m_input_tokens + r.cache_creation.ephemeral_1h_input_tokens;
      t.read += r.cache_read_input_tokens;
      t.output += r.output_tokens;
    }
  }
  for (const b of cost) for (const r of b.results) get(day(b.starting_at)).cost += centsToPico(r.amount);
  const days = new Set<string>([...billed.keys(), ...o.agg.byDay.map((b) => b.key)]);
  let meteredTotal = 0n;
  let billedTotal = 0n;
  const rows = [...days].sort().map((d) => {
    const m = o.agg.byDay.find((b) => b.key === d);
    const b = billed.get(d) ?? { cost: 0n, input: 0, write: 0, read: 0, output: 0 };
    const mc = m?.cost ?? 0n;
    meteredTotal += mc;
    billedTotal += b.cost;
    return {
      date: d,
      metered_usd: picoToUsd(mc),
      billed_usd: picoToUsd(b.cost),
      difference_usd: picoToUsd(b.cost - mc),
      metered_tokens: { input: m?.tokens.input ?? 0, cache_creation: (m?.tokens.cache_write_5m ?? 0) + (m?.tokens.cache_write_1h ?? 0), cache_read: m?.tokens.cache_read ?? 0, output: m?.tokens.output ?? 0 },
      billed_tokens: { input: b.input, cache_creation: b.write, cache_read: b.read, output: b.output },
    };
  });
  return {
    source: 'admin-api',
    base_url: o.baseUrl,
    metered_usd: picoToUsd(meteredTotal),
    billed_usd: picoToUsd(billedTotal),
    difference_usd: picoToUsd(billedTotal - meteredTotal),
    days: rows,
  };
}
