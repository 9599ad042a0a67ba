/**
 * Cache busters: why a request's prefix stopped matching the previous request of the same session (or key), and
 * which block broke it. The new request's cumulative block hashes are compared with the previous one's; the first
 * block whose hash differs is where the cached prefix ends, and its content (and the settings mixed into the hash
 * chain before it, see wire/prefix.ts) says why:
 *
 * - model_switch: another model (every cache is per model);
 * - settings: speed, web search, tool_choice, thinking, effort or images changed (reference section 2.5);
 * - tool_key_order / tool_input_key_order: the same JSON with its keys in another order (Go and Swift maps
 *   randomise it); the tool_use case is fixed safely by sorting keys (cache-apply.ts);
 * - tool_definitions: a tool's name, description or schema changed;
 * - volatile_text: the text differs only in a timestamp, date, counter or id, typically in the system prompt;
 * - system_changed / history_changed: other edits before the end of the cached prefix (compaction, a rewritten turn);
 * - new_conversation: the first message differs, or the conversation differs and no session is known: not a buster,
 *   another conversation (Claude Code's subagents share the session id of the main conversation);
 * - turn_replaced: the latest turn was edited or retried: not a buster either.
 */
import type { PrefixAnalysis, PrefixBlock } from '../wire/prefix.js';
import { blockValue, canonicalJson } from './cache-apply.js';

export type BusterKind =
  | 'model_switch'
  | 'settings'
  | 'tool_key_order'
  | 'tool_input_key_order'
  | 'tool_definitions'
  | 'volatile_text'
  | 'system_changed'
  | 'history_changed'
  | 'new_conversation'
  | 'turn_replaced';

export interface Buster {
  readonly kind: BusterKind;
  /** The block where the prefix broke ("system[0]", "tools[3]", "messages[4].content[1]") or the field ("model"). */
  readonly path: string;
  /** Cached tokens the change threw away: the previous request's prompt up to the break. */
  readonly lostTokens: number;
  readonly detail: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Seen {
  readonly body: Readonly<Obj>;
  readonly analysis: PrefixAnalysis;
}

/** A timestamp, date, time, long number, hex id or uuid. */
const VOLATILE = /^(?:\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?|\d{3,}|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[\w-]*\d[\w-]*)$/i;
const TOKEN_CHARS = /[\w:.+-]/;

/** The differing spans of two texts, widened to whole tokens: ["2026-11-24T07:31:02Z", "2026-11-24T07:32:15Z"]. */
export function differingSpan(a: string, b: string): [string, string] | null {
  if (a === b) return null;
  let s = 0;
  while (s < a.length && s < b.length && a[s] === b[s]) s++;
  let ea = a.length;
  let eb = b.length;
  while (ea > s && eb > s && a[ea - 1] === b[eb - 1]) {
    ea--;
    eb--;
  }
  while (s > 0 && TOKEN_CHARS.test(a[s - 1]!)) s--;
  while (ea < a.length && TOKEN_CHARS.test(a[ea]!)) ea++;
  while (eb < b.length && TOKEN_CHARS.test(b[eb]!)) eb++;
  return [a.slice(s, ea), b.slice(s, eb)];
}

/** Whether two texts differ only by one volatile value (timestamp, id, counter). */
export function volatileChange(a: string, b: string): [string, string] | null {
  const d = differingSpan(a, b);
  if (!d) return null;
  const [x, y] = d;
  const short = x.length <= 64 && y.length <= 64;
  return short && x.length > 0 && y.length > 0 && VOLATILE.test(x.replace(/[.,;:]+$/, '')) && VOLATILE.test(y.replace(/[.,;:]+$/, '')) ? d : null;
}

function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v['text'] === 'string') return v['text'];
  if (isObj(v) && v['type'] === 'tool_result') {
    const c = v['content'];
    if (typeof c === 'string') return c;
  }
  return null;
}

const SETTINGS: readonly [string, (b: Readonly<Obj>) => unknown][] = [
  ['speed', (b) => b['speed'] ?? 'standard'],
  ['tool_choice', (b) => b['tool_choice'] ?? null],
  ['thinking', (b) => b['thinking'] ?? null],
  ['output_config.effort', (b) => (isObj(b['output_config']) ? b['output_config']['effort'] : undefined) ?? 'high'],
  ['web search', (b) => (Array.isArray(b['tools']) ? b['tools'].filter((t) => isObj(t) && String(t['type'] ?? '').startsWith('web_search')).length : 0)],
];

/** Why `cur` does not extend `prev`'s prefix, or null when it does (or is shorter but equal so far). */
export function findBuster(prev: Seen, cur: Seen, knownSession: boolean): Buster | null {
  const pb = prev.analysis.blocks;
  const cb = cur.analysis.blocks;
  let k = 0;
  while (k < pb.length && k < cb.length && pb[k]!.hash === cb[k]!.hash) k++;
  if (k >= pb.length || k >= cb.length) return null;
  const lostTokens = k > 0 ? pb[k - 1]!.cumTokens : 0;
  const pm = String(prev.body['model'] ?? '');
  const cm = String(cur.body['model'] ?? '');
  if (pm !== cm) return { kind: 'model_switch', path: 'model', lostTokens, detail: `model changed from ${pm} to ${cm}` };
  const p = pb[k]!;
  const c = cb[k]!;
  const pv = blockValue(prev.body, p);
  const cv = blockValue(cur.body, c);
  const same = p.path === c.path && JSON.stringify(strip(pv)) === JSON.stringify(strip(cv));
  if (same) {
    for (const [name, get] of SETTINGS) {
      const a = JSON.stringify(get(prev.body));
      const b = JSON.stringify(get(cur.body));
      if (a !== b) return { kind: 'settings', path: name, lostTokens, detail: `${name} changed from ${a} to ${b}` };
    }
    return { kind: 'settings', path: c.path, lostTokens, detail: 'a setting mixed into the prefix changed (images added or removed?)' };
  }
  const prevLastMessage = Math.max(0, ...pb.filter((b) => b.section === 'messages').map((b) => b.at));
  return classify(p, c, pv, cv, lostTokens, knownSession, prevLastMessage);
}

function strip(v: unknown): unknown {
  if (!isObj(v)) return v;
  const { cache_control: _cc, ...rest } = v;
  return rest;
}

function classify(p: PrefixBlock, c: PrefixBlock, pv: unknown, cv: unknown, lostTokens: number, knownSession: boolean, prevLastMessage: number): Buster {
  const path = c.path;
  // Without a session id, the previous request of the key may come from another feature of the same app (another
  // system prompt, other tools): only a change that looks like the same prompt edited (a key order, a volatile
  // value) is a buster then; anything else is another application or conversation, and must not stop caching.
  const otherApp: Buster = { kind: 'new_conversation', path, lostTokens, detail: 'another application or conversation on the same key (no session id tells them apart)' };
  if (c.section === 'tools' || p.section === 'tools') {
    if (p.path === c.path && canonicalJson(strip(pv)) === canonicalJson(strip(cv))) {
      return { kind: 'tool_key_order', path, lostTokens, detail: 'the same tool definition with its JSON keys in another order' };
    }
    if (!knownSession) return otherApp;
    const name = isObj(cv) ? String(cv['name'] ?? '') : '';
    return { kind: 'tool_definitions', path, lostTokens, detail: p.section !== c.section ? 'the set of tools changed' : `tool "${name}" changed` };
  }
  if (c.kind === 'tool_use' && p.kind === 'tool_use' && isObj(pv) && isObj(cv) && canonicalJson(strip(pv)) === canonicalJson(strip(cv))) {
    return { kind: 'tool_input_key_order', path, lostTokens, detail: `tool_use "${String(cv['name'] ?? '')}" input has the same keys in another order` };
  }
  const pt = textOf(pv);
  const ct = textOf(cv);
  if (pt !== null && ct !== null) {
    const v = volatileChange(pt, ct);
    if (v) return { kind: 'volatile_text', path, lostTokens, detail: `"${v[0]}" became "${v[1]}": keep volatile values out of the cached prefix (put them after the last breakpoint)` };
  }
  if (c.section === 'system' || p.section === 'system') {
    return knownSession ? { kind: 'system_changed', path, lostTokens, detail: 'the system prompt changed' } : otherApp;
  }
  // A different first message is another conversation, even in a known session (Claude Code's subagents share it);
  // without a session, consecutive requests of one key are as likely to be different conversations.
  if ((c.at === 0 && c.blockAt === 0) || !knownSession) {
    return { kind: 'new_conversation', path, lostTokens, detail: knownSession ? 'another conversation in the same session' : 'another conversation on the same prefix' };
  }
  if (p.at >= prevLastMessage) return { kind: 'turn_replaced', path, lostTokens, detail: 'the latest turn was replaced (an edit or a retry)' };
  return { kind: 'history_changed', path, lostTokens, detail: 'an earlier turn of the conversation was changed or removed' };
}

/** A buster worth reporting (another conversation, or a replaced latest turn, is not one). */
export function isBuster(b: Buster | null): b is Buster {
  return b !== null && b.kind !== 'new_conversation' && b.kind !== 'turn_replaced';
}
