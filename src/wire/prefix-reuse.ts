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
 * (`top`) a block's own `cache_control` is ignored (a marker is not content; clients move it every turn). The very
 * same object on both sides is not vouched for: a caller that reuses its objects may have changed it in place since
 * its trail was kept (a parsed request never shares objects with an earlier one, so this costs the gateway nothing).
 */
export function sameValue(a: unknown, b: unknown, top = false): boolean {
  if (a === b) return typeof a !== 'object' || a === null;
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
  private readonly lists = new Map<string, Trail[]>();
  private readonly weights = new WeakMap<Trail, number>();
  private chars = 0;
  /** The setting last remembered (the Map's last key), or null. */
  private latest: string | null = null;

  constructor(private readonly perSetting = 16, private readonly maxChars = 16_000_000) {}

  /** Trails to try for a prompt analysed under `setting` (the cache's own list: read it before remembering). */
  candidates(setting: string): readonly Trail[] {
    return this.lists.get(setting) ?? [];
  }

  /** Keeps `trail` as the latest; drops a trail it extends (the same conversation's previous turn). */
  remember(setting: string, trail: Trail): void {
    if (trail.length === 0) return;
    const list = this.lists.get(setting) ?? [];
    const head = list[0];
    // The same prompt again (every block reused from the latest trail): only the setting's recency changes, and
    // not even that when it is already the most recent (re-inserting a Map key every request churns its table).
    if (head !== undefined && head.length === trail.length && head[head.length - 1] === trail[trail.length - 1]) {
      if (this.latest !== setting) {
        this.lists.delete(setting);
        this.lists.set(setting, list);
        this.latest = setting;
      }
      return;
    }
    const weight = weightOf(trail);
    if (weight > this.maxChars) return;
    const kept: Trail[] = [trail];
    this.weights.set(trail, weight);
    this.chars += weight;
    for (const t of list) {
      const extended = t.length <= trail.length && t[t.length - 1]!.state === trail[t.length - 1]!.state;
      if (extended || kept.length >= this.perSetting) this.chars -= this.weights.get(t) ?? 0;
      else kept.push(t);
    }
    this.lists.delete(setting);
    this.lists.set(setting, kept);
    this.latest = setting;
    for (const [k, l] of this.lists) {
      if (this.chars <= this.maxChars) break;
      while (l.length > 0 && this.chars > this.maxChars && !(k === setting && l.length === 1)) this.chars -= this.weights.get(l.pop()!) ?? 0;
      if (l.length === 0) {
        this.lists.delete(k);
        if (k === this.latest) this.latest = null;
      }
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
    if (this.last !== null) {
      const u = fit(this.last, i, stateBefore, pending, first, role, value, top);
      if (u) return u;
    }
    for (const t of this.trails) {
      if (t === this.last) continue;
      const u = fit(t, i, stateBefore, pending, first, role, value, top);
      if (u) {
        this.last = t;
        return u;
      }
    }
    this.live = false;
    return null;
  }
}

function fit(t: Trail, i: number, stateBefore: string, pending: string, first: boolean, role: string, value: unknown, top: boolean): TrailUnit | null {
  const u = t[i];
  if (u === undefined || u.pending !== pending || u.first !== first || u.role !== role) return null;
  if (i > 0 && t[i - 1]!.state !== stateBefore) return null;
  return sameValue(u.value, value, top) ? u : null;
}
