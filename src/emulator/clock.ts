/**
 * The emulator's notion of "now". Cache TTLs, batch processing and the ledger's timestamps all read it, so tests
 * inject a ManualClock and move time forward instead of waiting.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. Starts at `start` (ms since epoch; default 2026-01-01T00:00:00Z). */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0 (got ${ms})`);
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
