/**
 * The config file's "budgets" section: a list of budgets, each global or scoped to a virtual key (by name) or a tag,
 * per day, month or in total, hard (refuse) or soft (alert only, or demote the model). Amounts are decimal dollars,
 * written as strings ("25", "0.50") or plain numbers, turned into exact pico-dollars here.
 *
 *   "budgets": [
 *     { "name": "all-monthly", "limit_usd": "500", "period": "month" },
 *     { "name": "search-daily", "tag": "team=search", "limit_usd": 20, "period": "day", "mode": "soft",
 *       "action": "demote", "demote_to": "claude-haiku-4-5" }
 *   ]
 */
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { usdToPico, type Pico } from '../pricing/money.js';
import type { Period } from './periods.js';

const Usd = z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
  const s = typeof v === 'number' ? String(v) : v;
  try {
    return usdToPico(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be a dollar amount such as "25" or "0.50" (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
});

const TagSelector = z.string().regex(/^[^=,\s]+=[^=,]+$/, 'must look like "team=search"');

export const BudgetEntrySchema = z
  .object({
    name: z.string().min(1).max(80).regex(/^[A-Za-z0-9._:@/-]+$/, 'letters, digits and . _ : @ / - only'),
    limit_usd: Usd,
    period: z.enum(['day', 'month', 'total']).default('month'),
    key: z.string().min(1).optional(),
    tag: TagSelector.optional(),
    mode: z.enum(['hard', 'soft']).default('hard'),
    action: z.enum(['refuse', 'alert', 'demote']).optional(),
    demote_to: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.key !== undefined && b.tag !== undefined) ctx.addIssue({ code: 'custom', message: 'a budget is scoped to a key or to a tag, not both' });
    if (b.mode === 'hard' && b.action !== undefined && b.action !== 'refuse') ctx.addIssue({ code: 'custom', path: ['action'], message: 'a hard budget refuses; use "mode": "soft" to alert or demote' });
    if (b.mode === 'soft' && b.action === 'refuse') ctx.addIssue({ code: 'custom', path: ['action'], message: 'a soft budget alerts or demotes; use "mode": "hard" to refuse' });
    if (b.action === 'demote' && b.demote_to === undefined) ctx.addIssue({ code: 'custom', path: ['demote_to'], message: '"action": "demote" needs "demote_to": a cheaper model id' });
  });

export const BudgetsSectionSchema = z.array(BudgetEntrySchema).default([]);
export type BudgetEntry = z.output<typeof BudgetEntrySchema>;

export type BudgetScope =
  | { readonly kind: 'global' }
  | { readonly kind: 'key'; readonly keyHash: string; readonly label: string }
  | { readonly kind: 'tag'; readonly tag: string; readonly value: string };

/** A budget ready for the ledger. */
export interface BudgetRule {
  readonly name: string;
  readonly scope: BudgetScope;
  readonly period: Period;
  readonly limitPico: Pico;
  readonly mode: 'hard' | 'soft';
  /** What happens at the limit: refuse (hard), alert only (soft), or demote to a cheaper model (soft). */
  readonly action: 'refuse' | 'alert' | 'demote';
  readonly demoteTo: string | null;
}

function formatIssues(err: z.ZodError, where: string): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${where}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`)
    .join('; ');
}

/** Parses the "budgets" section; throws ConfigError naming the bad field. */
export function parseBudgets(raw: unknown, where = 'budgets'): BudgetEntry[] {
  const r = BudgetsSectionSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(formatIssues(r.error, where));
  const seen = new Set<string>();
  for (const b of r.data) {
    if (seen.has(b.name)) throw new ConfigError(`${where}: two budgets are named "${b.name}"`);
    seen.add(b.name);
  }
  return r.data;
}

/** Turns config entries into ledger rules; `keyHashByName` resolves a key budget's key name to the stored key. */
export function toRules(entries: readonly BudgetEntry[], keyHashByName: (name: string) => string | null): BudgetRule[] {
  return entries.map((b) => {
    let scope: BudgetScope = { kind: 'global' };
    if (b.key !== undefined) {
      const h = keyHashByName(b.key);
      if (h === null) throw new ConfigError(`budgets: budget "${b.name}" names key "${b.key}", which does not exist (see clawback keys ls)`);
      scope = { kind: 'key', keyHash: h, label: b.key };
    } else if (b.tag !== undefined) {
      const eq = b.tag.indexOf('=');
      scope = { kind: 'tag', tag: b.tag.slice(0, eq), value: b.tag.slice(eq + 1) };
    }
    const action = b.action ?? (b.mode === 'hard' ? 'refuse' : 'alert');
    return { name: b.name, scope, period: b.period, limitPico: b.limit_usd, mode: b.mode, action, demoteTo: b.demote_to ?? null };
  });
}

/** "50/month", "5/day", "100/total" or "50" (a month): the `keys create --budget` shorthand. */
export function parseBudgetShorthand(s: string): { limitPico: Pico; period: Period } {
  const m = /^\$?(\d+(?:\.\d+)?)(?:\/(day|month|total))?$/.exec(s.trim());
  if (!m) throw new ConfigError(`budget "${s}" must look like 50/month, 5/day or 100/total (dollars)`);
  return { limitPico: usdToPico(m[1]!), period: (m[2] as Period | undefined) ?? 'month' };
}
