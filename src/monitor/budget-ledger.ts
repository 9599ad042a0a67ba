/**
 * The budget ledger: what each budget has spent in its current period, and what is reserved by requests in flight.
 *
 * Enforcement is reserve-then-settle. Before a request is sent, `reserve` checks every hard budget the request
 * falls under (spent + in flight + this estimate <= limit) and, only if all pass, adds the estimate to each one's
 * in-flight total. Check and add happen in one synchronous call, so no other request can slip between them:
 * concurrent clients can never hold more than the limit between them. After the response is metered, `settle`
 * swaps the reservation for the real cost; `release` drops a reservation whose request died without a bill.
 * A reservation never settled (a bug, a crash in a hook) is released after `staleAfterMs` by `sweep`.
 *
 * The ledger lives in memory; it is durable because it is rebuilt from the usage store at start (`addSpent` for
 * every record of the current periods), and every settled request is in the store.
 */
import type { Pico } from '../pricing/money.js';
import type { BudgetRule } from './budget-config.js';
import { periodEnd, periodKey, periodStart } from './periods.js';

/** Who a request is charged to. */
export interface Charge {
  readonly keyHash: string | null;
  readonly tags: Readonly<Record<string, string>>;
}

export interface Reservation {
  readonly id: number;
  readonly amount: Pico;
  readonly rules: readonly string[];
  readonly createdAt: number;
}

export interface BudgetStatus {
  readonly rule: BudgetRule;
  readonly periodKey: string;
  readonly periodStart: number;
  /** Epoch ms; null for "total". */
  readonly periodEnd: number | null;
  readonly spent: Pico;
  readonly inFlight: Pico;
  /** limit - spent - inFlight, never below zero. */
  readonly remaining: Pico;
}

export type ReserveResult =
  | { readonly ok: true; readonly reservation: Reservation; readonly softOver: readonly BudgetRule[] }
  | { readonly ok: false; readonly rule: BudgetRule; readonly status: BudgetStatus; readonly amount: Pico };

interface RuleState {
  periodKey: string;
  spent: Pico;
  inFlight: Pico;
}

export function ruleMatches(rule: BudgetRule, c: Charge): boolean {
  switch (rule.scope.kind) {
    case 'global':
      return true;
    case 'key':
      return c.keyHash === rule.scope.keyHash;
    case 'tag':
      return c.tags[rule.scope.tag] === rule.scope.value;
  }
}

export interface LedgerOptions {
  readonly now?: () => number;
  readonly staleAfterMs?: number;
}

export class BudgetLedger {
  private rules: BudgetRule[] = [];
  private byName = new Map<string, BudgetRule>();
  private readonly state = new Map<string, RuleState>();
  private readonly open = new Map<number, Reservation>();
  private nextId = 1;
  private waiters: (() => void)[] = [];
  private readonly now: () => number;
  private readonly staleAfterMs: number;

  constructor(rules: readonly BudgetRule[], { now = Date.now, staleAfterMs = 15 * 60_000 }: LedgerOptions = {}) {
    this.now = now;
    this.staleAfterMs = staleAfterMs;
    this.setRules(rules);
  }

  /** Replaces the rules (e.g. after a virtual key with a budget was created); spend of kept budgets is kept. */
  setRules(rules: readonly BudgetRule[]): void {
    const names = new Set<string>();
    for (const r of rules) {
      if (names.has(r.name)) throw new Error(`two budgets are named "${r.name}"`);
      names.add(r.name);
    }
    this.rules = [...rules];
    this.byName = new Map(rules.map((r) => [r.name, r]));
    for (const name of [...this.state.keys()]) if (!names.has(name)) this.state.delete(name);
  }

  getRules(): readonly BudgetRule[] {
    return this.rules;
  }

  matching(c: Charge): BudgetRule[] {
    return this.rules.filter((r) => ruleMatches(r, c));
  }

  private stateOf(rule: BudgetRule, at: number): RuleState {
    const key = periodKey(rule.period, at);
    let s = this.state.get(rule.name);
    if (!s) {
      s = { periodKey: key, spent: 0n, inFlight: 0n };
      this.state.set(rule.name, s);
    } else if (s.periodKey !== key && key > s.periodKey) {
      // A new period: spend starts again from zero; what is still in flight stays in flight.
      s.periodKey = key;
      s.spent = 0n;
    }
    return s;
  }

  private statusOf(rule: BudgetRule, at: number): BudgetStatus {
    const s = this.stateOf(rule, at);
    const left = rule.limitPico - s.spent - s.inFlight;
    const end = periodEnd(rule.period, at);
    return {
      rule,
      periodKey: s.periodKey,
      periodStart: periodStart(rule.period, at),
      periodEnd: Number.isFinite(end) ? end : null,
      spent: s.spent,
      inFlight: s.inFlight,
      remaining: left > 0n ? left : 0n,
    };
  }

  /**
   * Checks and reserves in one step. Refuses (reserving nothing) when a hard budget would go over its limit;
   * otherwise reserves `amount` on every matching budget and lists the soft budgets this request takes past theirs.
   */
  reserve(c: Charge, amount: Pico): ReserveResult {
    const at = this.now();
    const rules = this.matching(c);
    const softOver: BudgetRule[] = [];
    const states = rules.map((r) => this.stateOf(r, at));
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const s = states[i]!;
      if (s.spent + s.inFlight + amount <= r.limitPico) continue;
      if (r.mode === 'hard') return { ok: false, rule: r, status: this.statusOf(r, at), amount };
      softOver.push(r);
    }
    for (const s of states) s.inFlight += amount;
    const reservation: Reservation = { id: this.nextId++, amount, rules: rules.map((r) => r.name), createdAt: at };
    this.open.set(reservation.id, reservation);
    return { ok: true, reservation, softOver };
  }

  /** Which soft budgets `amount` would take past their limit, without reserving anything. */
  softOverflow(c: Charge, amount: Pico): BudgetRule[] {
    const at = this.now();
    return this.matching(c).filter((r) => {
      if (r.mode !== 'soft') return false;
      const s = this.stateOf(r, at);
      return s.spent + s.inFlight + amount > r.limitPico;
    });
  }

  /** Resolves when any reservation is settled or released, or after `timeoutMs`. */
  nextSettlement(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.push(done);
    });
  }

  /** Replaces a reservation with the real cost. Returns false if it was already settled or released. */
  settle(res: Reservation, actual: Pico, at: number = this.now()): boolean {
    if (!this.open.delete(res.id)) return false;
    const now = this.now();
    for (const name of res.rules) {
      const rule = this.byName.get(name);
      if (!rule) continue; // the budget was removed meanwhile
      const s = this.stateOf(rule, now);
      s.inFlight -= res.amount;
      if (periodKey(rule.period, at) === s.periodKey) s.spent += actual;
    }
    for (const w of [...this.waiters]) w(); // requests waiting for room try again
    return true;
  }

  /** Drops a reservation whose request never produced a bill. */
  release(res: Reservation): boolean {
    return this.settle(res, 0n);
  }

  /** Adds spend that did not go through a reservation: records loaded from the store, batch results. */
  addSpent(c: Charge, pico: Pico, at: number): void {
    if (pico === 0n) return;
    const now = this.now();
    for (const r of this.matching(c)) {
      const s = this.stateOf(r, now);
      if (periodKey(r.period, at) === s.periodKey) s.spent += pico;
    }
  }

  /** Releases reservations older than `staleAfterMs`; returns how many. */
  sweep(): number {
    const cutoff = this.now() - this.staleAfterMs;
    let n = 0;
    for (const res of [...this.open.values()]) {
      if (res.createdAt < cutoff && this.release(res)) n++;
    }
    return n;
  }

  inFlightCount(): number {
    return this.open.size;
  }

  status(): BudgetStatus[] {
    const at = this.now();
    return this.rules.map((r) => this.statusOf(r, at));
  }

  /** The earliest moment any budget's current period began: how far back the store must be read at start. */
  earliestPeriodStart(): number {
    const at = this.now();
    return this.rules.reduce((min, r) => Math.min(min, periodStart(r.period, at)), at);
  }
}
