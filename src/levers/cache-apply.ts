/**
 * Writes cache_control markers into a request body, copy-on-write: the client's body is never mutated, and only
 * the arrays and blocks on the way to a marked block are copied. A string `system` or message `content` becomes
 * the equivalent one-text-block array (the API treats both the same, and the prefix hash does not change).
 * Also: the one safe buster fix, a stable key order inside tool_use inputs.
 */
import type { CacheTtl, PrefixBlock } from '../wire/prefix.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Marker {
  readonly block: PrefixBlock;
  readonly ttl: CacheTtl;
}

export function cacheControl(ttl: CacheTtl): Obj {
  return ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
}

function mark(block: unknown, ttl: CacheTtl): Obj {
  const b: Obj = typeof block === 'string' ? { type: 'text', text: block } : isObj(block) ? { ...block } : {};
  b['cache_control'] = cacheControl(ttl);
  return b;
}

/** Returns a new body with a cache_control of the given TTL on each marked block (replacing any it had). */
export function applyMarkers(body: Readonly<Obj>, markers: readonly Marker[]): Obj {
  if (markers.length === 0) return body as Obj;
  const out: Obj = { ...body };
  for (const { block, ttl } of markers) {
    if (block.section === 'tools') {
      const tools = [...(out['tools'] as unknown[])];
      tools[block.at] = mark(tools[block.at], ttl);
      out['tools'] = tools;
    } else if (block.section === 'system') {
      const sys = out['system'];
      const arr = typeof sys === 'string' ? [{ type: 'text', text: sys }] : [...(sys as unknown[])];
      arr[block.at] = mark(arr[block.at], ttl);
      out['system'] = arr;
    } else {
      const messages = [...(out['messages'] as unknown[])];
      const m = messages[block.at];
      if (!isObj(m)) continue;
      const c = m['content'];
      const content = typeof c === 'string' ? [{ type: 'text', text: c }] : [...(c as unknown[])];
      content[block.blockAt] = mark(content[block.blockAt], ttl);
      messages[block.at] = { ...m, content };
      out['messages'] = messages;
    }
  }
  return out;
}

/** A copy of `v` with every object's keys in sorted order (arrays keep their order). */
export function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeysDeep(v[k]);
  return out;
}

/** JSON with sorted keys: equal for two values that differ only in key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeysDeep(v));
}

/**
 * The body with every tool_use input's keys sorted, or null when they already were. Safe: the model sees the same
 * object, and a stable order keeps the cached prefix of the conversation identical between requests.
 */
export function sortToolUseInputs(body: Readonly<Obj>): Obj | null {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return null;
  let changed = false;
  const next = messages.map((m) => {
    if (!isObj(m) || !Array.isArray(m['content'])) return m;
    let mChanged = false;
    const content = m['content'].map((b) => {
      if (!isObj(b) || (b['type'] !== 'tool_use' && b['type'] !== 'server_tool_use') || !isObj(b['input'])) return b;
      const sorted = sortKeysDeep(b['input']);
      if (JSON.stringify(sorted) === JSON.stringify(b['input'])) return b;
      mChanged = true;
      return { ...b, input: sorted };
    });
    if (!mChanged) return m;
    changed = true;
    return { ...m, content };
  });
  return changed ? { ...body, messages: next } : null;
}

/** The raw JSON value of a block of the body (tool definition, system block, message content block). */
export function blockValue(body: Readonly<Obj>, block: PrefixBlock): unknown {
  if (block.section === 'tools') return (body['tools'] as unknown[] | undefined)?.[block.at];
  if (block.section === 'system') {
    const sys = body['system'];
    return typeof sys === 'string' ? { type: 'text', text: sys } : (sys as unknown[] | undefined)?.[block.at];
  }
  const m = (body['messages'] as unknown[] | undefined)?.[block.at];
  if (!isObj(m)) return undefined;
  const c = m['content'];
  return typeof c === 'string' ? { type: 'text', text: c } : (c as unknown[] | undefined)?.[block.blockAt];
}
