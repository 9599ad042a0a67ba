/**
 * What the caching lever learns about reuse, all bounded in memory: the gaps between uses of a prefix (for the TTL
 * rule), the odds that a conversation's newest turn is continued (for the newest-turn breakpoint), and branch
 * points (prefixes that several requests share and then diverge after: where a shared-head breakpoint pays).
 */

/** Reuse times per key (prefix hash, or a section kind), bounded in keys and in samples per key. */
export class GapStats {
  private readonly last = new Map<string, number>();
  private readonly gaps = new Map<string, number[]>();

  constructor(
    private readonly maxKeys = 20_000,
    private readonly samples = 32,
  ) {}

  /** Records a use at `at`; returns the gap since the previous use, or null for the first. */
  see(key: string, at: number): number | null {
    const prev = this.last.get(key);
    this.last.delete(key);
    this.last.set(key, at);
    if (this.last.size > this.maxKeys) {
      const oldest = this.last.keys().next();
      if (!oldest.done) {
        this.last.delete(oldest.value);
        this.gaps.delete(oldest.value);
      }
    }
    if (prev === undefined || at < prev) return null;
    this.addGap(key, at - prev);
    return at - prev;
  }

  /** Records a gap measured elsewhere (e.g. between a turn and the turn that continued it). */
  addGap(key: string, gapMs: number): void {
    const list = this.gaps.get(key) ?? [];
    list.push(gapMs);
    if (list.length > this.samples) list.shift();
    this.gaps.set(key, list);
  }

  seen(key: string): boolean {
    return this.last.has(key);
  }

  lastSeen(key: string): number | null {
    return this.last.get(key) ?? null;
  }

  gapsOf(key: string): readonly number[] {
    return this.gaps.get(key) ?? [];
  }
}

/**
 * Odds that a request's newest turn is continued by a later request (which then extends its prefix), per bucket
 * (first turns and later turns behave differently: a one-off question is a first turn that is never continued).
 * Requests still waiting count as not continued, so a stream of one-off requests lowers the odds quickly.
 * Estimate: (continued + 1) / (requests + 2), halved now and then so it follows a changing workload.
 */
export class ContinuationOdds {
  private readonly pending = new Map<string, { at: number; bucket: string }>();
  private readonly counts = new Map<string, { continued: number; total: number }>();

  constructor(private readonly maxPending = 50_000) {}

  /** A request whose newest turn (hash) may be continued. */
  expect(hash: string, bucket: string, at: number): void {
    const c = this.counts.get(bucket) ?? { continued: 0, total: 0 };
    c.total++;
    if (c.total > 1000) {
      c.total = Math.ceil(c.total / 2);
      c.continued = Math.floor(c.continued / 2);
    }
    this.counts.delete(bucket);
    this.counts.set(bucket, c);
    if (this.counts.size > this.maxPending) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
    this.pending.delete(hash);
    this.pending.set(hash, { at, bucket });
    if (this.pending.size > this.maxPending) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
    }
  }

  /** A new request with these block hashes (prefix order): returns the gap to the request it continues, if any. */
  continues(hashes: readonly string[], at: number): number | null {
    for (let i = hashes.length - 1; i >= 0; i--) {
      const p = this.pending.get(hashes[i]!);
      if (!p) continue;
      this.pending.delete(hashes[i]!);
      const c = this.counts.get(p.bucket);
      if (c) c.continued = Math.min(c.total, c.continued + 1);
      return Math.max(0, at - p.at);
    }
    return null;
  }

  odds(bucket: string): { num: number; den: number } {
    const c = this.counts.get(bucket) ?? { continued: 0, total: 0 };
    return { num: c.continued + 1, den: c.total + 2 };
  }
}

/** Prefixes seen followed by more than one different next block. */
export class BranchPoints {
  private readonly next = new Map<string, Set<string>>();

  constructor(private readonly maxKeys = 20_000) {}

  see(hash: string, nextHash: string | null): void {
    const s = this.next.get(hash) ?? new Set<string>();
    if (s.size < 2) s.add(nextHash ?? '');
    this.next.delete(hash);
    this.next.set(hash, s);
    if (this.next.size > this.maxKeys) {
      const oldest = this.next.keys().next();
      if (!oldest.done) this.next.delete(oldest.value);
    }
  }

  isBranch(hash: string): boolean {
    return (this.next.get(hash)?.size ?? 0) >= 2;
  }
}
