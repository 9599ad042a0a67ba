/**
 * Burn-down data for the dashboard: what each budget spent per UTC hour, kept as requests are recorded (and seeded
 * from the store at start), so drawing the burn-down never re-reads the store. One bucket per budget and hour.
 */
import { picoToUsd, type Pico } from '../pricing/money.js';
import type { BudgetLedger, BudgetStatus, Charge } from './budget-ledger.js';

const HOUR = 3_600_000;

export class BurnTracker {
  private readonly byRule = new Map<string, Map<number, Pico>>();

  constructor(private readonly ledger: BudgetLedger) {}

  add(c: Charge, pico: Pico, at: number): void {
    if (pico === 0n) return;
    const h = Math.floor(at / HOUR);
    for (const r of this.ledger.matching(c)) {
      let m = this.byRule.get(r.name);
      if (!m) this.byRule.set(r.name, (m = new Map()));
      m.set(h, (m.get(h) ?? 0n) + pico);
    }
  }

  /** Remaining budget at the start of the period and after each hour with spend in it, up to now. */
  points(s: BudgetStatus): { at: string; remaining_usd: number }[] {
    const out = [{ at: new Date(s.periodStart).toISOString(), remaining_usd: picoToUsd(s.rule.limitPico) }];
    const m = this.byRule.get(s.rule.name);
    if (!m) return out;
    let spent = 0n;
    for (const h of [...m.keys()].sort((a, b) => a - b)) {
      if (h * HOUR < s.periodStart) continue;
      spent += m.get(h)!;
      out.push({ at: new Date(Math.min(Date.now(), (h + 1) * HOUR)).toISOString(), remaining_usd: picoToUsd(s.rule.limitPico - spent) });
    }
    return out;
  }
}
