/**
 * A route's output-length distribution, learned from metered responses: the most recent N answer lengths in a ring,
 * quantiles on demand. An answer our own cap truncated is censored (its real length is unknown, only that it was
 * longer): it enters as twice the cap, so repeated truncations raise the next cap geometrically instead of teaching
 * the route that answers are exactly as long as the cap.
 */

export class OutputLengths {
  private readonly ring: number[] = [];
  private next = 0;
  /**
   * The same window, kept sorted as answers come and go: quantiles are asked on every request and an answer arrives
   * for nearly every request, so sorting the window on demand (~500 numbers) cost more than the rest of the lever.
   */
  private readonly sorted: number[] = [];
  /** Every answer observed (not only those still in the window). */
  observed = 0;

  constructor(readonly window: number) {}

  add(tokens: number): void {
    if (!Number.isFinite(tokens) || tokens < 0) return;
    this.observed++;
    if (this.ring.length < this.window) this.ring.push(tokens);
    else {
      const evicted = this.ring[this.next]!;
      this.sorted.splice(lowerBound(this.sorted, evicted), 1);
      this.ring[this.next] = tokens;
      this.next = (this.next + 1) % this.window;
    }
    this.sorted.splice(lowerBound(this.sorted, tokens), 0, tokens);
  }

  get size(): number {
    return this.ring.length;
  }

  /** The q-quantile (nearest rank), or null with no samples. */
  quantile(q: number): number | null {
    const sorted = this.sorted;
    if (sorted.length === 0) return null;
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank] ?? null;
  }
}

/** The first index of a sorted array whose value is >= x. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The median of a list of numbers (null when empty). */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface CapInput {
  readonly lengths: OutputLengths;
  readonly quantile: number;
  readonly margin: number;
  readonly minSamples: number;
  readonly minCap: number;
  /** The client's own max_tokens. */
  readonly clientMax: number;
  readonly modelMax: number;
}

/** The cap for the next request of a route, or null when there is not enough data (or it would not lower anything). */
export function capFor(i: CapInput): number | null {
  if (i.lengths.size < i.minSamples) return null;
  const q = i.lengths.quantile(i.quantile);
  if (q === null) return null;
  const cap = Math.min(i.clientMax, i.modelMax, Math.max(i.minCap, Math.ceil(q * i.margin)));
  return cap < i.clientMax ? cap : null;
}
