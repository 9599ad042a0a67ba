/**
 * Hash trails of recent prompts, so a prompt that repeats another's beginning reuses its hashes instead of hashing
 * it again. A conversation resends its whole history every turn and agents share one system prompt and tool set, so
 * most of a prompt was seen a moment ago: comparing a block with the one seen before (string comparison, ~10x the
 * speed of hashing it) is enough to know its hash.
 *
 * A trail is one analysed prompt's blocks in prefix order, each with what its hash covered and the chain's state
 * after it. Block i of a new prompt reuses block i of a trail when the chain's state before it is the same (so
 * everything before was the same: the state is a hash of all of it) and the block itself is the same value. Nothing
 * here decides a hash: a reused state is exactly the one hashing would give.
 */

/** One hashed block. */
export interface TrailUnit {
  /** Settings mixed into the chain just before this block. */
  readonly pending: string;
  /** The first block of its message (its role is hashed with it); always false outside messages. */
  readonly first: boolean;
  readonly role: string;
  /** What the block's hash covers: a tool definition, a system text, a message content block. */
  readonly value: unknown;
  /** Its estimated tokens (without the hidden tool-use system prompt, which depends on tool_choice). */
  readonly tokens: number;
  /** The chain's whole state after it. */
  readonly state: string;
}

export type Trail = readonly TrailUnit[];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Equality of two JSON values as the hash sees them: key order counts, undefined members are absent, and at the top
 * (`top`) a block's own `cache_control` is ignored (a marker is not content; clients move it every turn).
 */
export function sameValue(a: unknown, b: unknown, top = false): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || !isObj(a) || !isObj(b)) return false;
  const ka = keysOf(a, top);
  const kb = keysOf(b, top);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !sameValue(a[k], b[k])) return false;
  }
  return true;
}

function keysOf(o: Obj, top: boolean): string[] {
  const out: string[] = [];
  for (const k in o) if (o[k] !== undefined && !(top && k === 'cache_control')) out.push(k);
  return out;
}

/** About how many characters of prompt a trail keeps alive (its blocks' values), from its token estimates. */
function weightOf(t: Trail): number {
  let tokens = 0;
  for (const u of t) tokens += u.tokens;
  return tokens * 4;
}

/**
 * The recent trails, per analysis setting (tokenizer family and model), the latest first. A trail keeps its prompt's
 * values alive, so the cache is bounded by the prompt text it holds (`maxChars`, ~16 MB of text by default) as well
 * as by count; the least recently used setting's oldest trails go first.
 */
export class TrailCache {
  private readonly trails = new Map<string, { trail: Trail; weight: number }[]>();
  private chars = 0;

  constructor(private readonly perSetting = 16, private readonly maxChars = 16_000_000) {}

  /** Trails to try for a prompt analysed under `setting`. */
  candidates(setting: string): readonly Trail[] {
    return (this.trails.get(setting) ?? []).map((e) => e.trail);
  }

  /** Keeps `trail` as the latest; drops a trail it extends (the same conversation's previous turn). */
  remember(setting: string, trail: Trail): void {
    if (trail.length === 0) return;
    const weight = weightOf(trail);
    if (weight > this.maxChars) return;
    const kept: { trail: Trail; weight: number }[] = [{ trail, weight }];
    this.chars += weight;
    for (const e of this.trails.get(setting) ?? []) {
      const t = e.trail;
      const extended = t.length <= trail.length && t[t.length - 1]!.state === trail[t.length - 1]!.state;
      if (extended || kept.length >= this.perSetting) this.chars -= e.weight;
      else kept.push(e);
    }
    this.trails.delete(setting);
    this.trails.set(setting, kept);
    for (const [k, list] of this.trails) {
      if (this.chars <= this.maxChars) break;
      while (list.length > 0 && this.chars > this.maxChars && !(k === setting && list.length === 1)) this.chars -= list.pop()!.weight;
      if (list.length === 0) this.trails.delete(k);
    }
  }
}

/**
 * Follows a new prompt's blocks through the cached trails: `match` answers whether block i (with the chain's state
 * before it) is one a trail already hashed, and gives that unit. Once a block matches no trail, none after it can.
 */
export class TrailMatcher {
  private live = true;
  /** The trail the last block matched: the likeliest to match the next one too. */
  private last: Trail | null = null;

  constructor(private readonly trails: readonly Trail[]) {}

  match(i: number, stateBefore: string, pending: string, first: boolean, role: string, value: unknown, top: boolean): TrailUnit | null {
    if (!this.live) return null;
    const fits = (t: Trail): TrailUnit | null => {
      const u = t[i];
      if (u === undefined || u.pending !== pending || u.first !== first || u.role !== role) return null;
      if (i > 0 && t[i - 1]!.state !== stateBefore) return null;
      return sameValue(u.value, value, top) ? u : null;
    };
    if (this.last !== null) {
      const u = fits(this.last);
      if (u) return u;
    }
    for (const t of this.trails) {
      if (t === this.last) continue;
      const u = fits(t);
      if (u) {
        this.last = t;
        return u;
      }
    }
    this.live = false;
    return null;
  }
}
