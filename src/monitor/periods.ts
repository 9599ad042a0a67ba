/**
 * Budget periods, in UTC: a day runs from 00:00 UTC, a month from the 1st at 00:00 UTC, and "total" never resets.
 * UTC on purpose: the Anthropic Console and the Usage API bill by UTC days, so a budget lines up with the invoice.
 */
export type Period = 'day' | 'month' | 'total';

/** Epoch ms at which the period containing `at` started (0 for "total"). */
export function periodStart(period: Period, at: number): number {
  const d = new Date(at);
  if (period === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return 0;
}

/** Epoch ms at which the period containing `at` ends (Infinity for "total"). */
export function periodEnd(period: Period, at: number): number {
  const d = new Date(at);
  if (period === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Number.POSITIVE_INFINITY;
}

const memo: Record<'day' | 'month', { minute: number; key: string }> = { day: { minute: NaN, key: '' }, month: { minute: NaN, key: '' } };

/**
 * A stable name for the period containing `at`: "2026-11-24", "2026-11" or "total". Memoised per minute (period
 * boundaries fall on whole minutes), since the ledger asks for it on every reservation.
 */
export function periodKey(period: Period, at: number): string {
  if (period === 'total') return 'total';
  const minute = Math.floor(at / 60_000);
  const m = memo[period];
  if (m.minute === minute) return m.key;
  const iso = new Date(at).toISOString();
  m.minute = minute;
  m.key = period === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
  return m.key;
}
