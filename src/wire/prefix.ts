/**
 * A request's prompt as the prompt cache sees it: blocks in prefix order (tools -> system -> messages), each with
 * its estimated tokens, the running total, a cumulative hash of everything up to it, and its cache breakpoint if
 * any. The emulator's cache, the gateway's prefix fingerprints and the caching lever all read this one model.
 *
 * Hash rules (reference section 2.5): the model starts the chain; settings that invalidate the system and message
 * caches (speed, web search and citations on/off) are mixed in after the tools; settings that invalidate only the
 * message cache (tool_choice, thinking, effort, images anywhere) are mixed in after the system. `cache_control`
 * markers are not part of a block's content, so moving a breakpoint does not change any hash. JSON key order is
 * kept as the client sent it: a client whose key order changes between requests really does bust the cache.
 */
import { hash as digest } from 'node:crypto';
import { TrailCache, TrailMatcher, type TrailUnit } from './prefix-reuse.js';
import { BLOCK_OVERHEAD, IMAGE_TOKENS, MESSAGE_OVERHEAD, REQUEST_OVERHEAD, textTokens, type TokenizerFamily } from './tokens.js';

export type CacheTtl = '5m' | '1h';
export type PrefixSection = 'tools' | 'system' | 'messages';

export interface PrefixBlock {
  /** Position in prefix order, from 0. */
  readonly index: number;
  readonly section: PrefixSection;
  /** Where the block sits in the request: "tools[2]", "system[0]", "messages[3].content[1]". */
  readonly path: string;
  /** Index into tools/system/messages; for messages, the content block index too. */
  readonly at: number;
  readonly blockAt: number;
  /** "tool" for a tool definition, else the content block's type ("text", "tool_use", "tool_result", "image", ...). */
  readonly kind: string;
  readonly role: string | null;
  readonly tokens: number;
  /** Tokens from the start of the prompt through this block (request overhead excluded). */
  readonly cumTokens: number;
  /** Cumulative hash (hex, 64 bits) of model, settings and every block through this one. */
  readonly hash: string;
  /** The block's own cache_control TTL, if the client marked it. */
  readonly cacheControl: CacheTtl | null;
  /** Whether a breakpoint may sit here (not on thinking blocks or empty text). */
  readonly cacheable: boolean;
  /** Lookback position: a run of consecutive tool_use (or tool_result) blocks shares one position. */
  readonly position: number;
}

export interface Breakpoint {
  readonly block: PrefixBlock;
  readonly ttl: CacheTtl;
  /** True when it came from the request's top-level `cache_control` (automatic caching). */
  readonly automatic: boolean;
}

export interface PrefixAnalysis {
  readonly blocks: readonly PrefixBlock[];
  /** Every input token of the request: blocks plus request overhead plus the hidden tool-use system prompt. */
  readonly totalTokens: number;
  /** Breakpoints in prefix order, explicit and automatic. */
  readonly breakpoints: readonly Breakpoint[];
  /** Why the API would reject the request's cache_control use, if it would. */
  readonly error: string | null;
}

export interface PrefixOptions {
  readonly family: TokenizerFamily;
  /** The hidden tool-use system prompt (catalog `tool_use_system_prompt_tokens`), added when tools are supplied. */
  readonly toolOverhead?: { readonly auto: number; readonly any: number } | undefined;
  /** Model id mixed into the hash chain (the cache is per model). Defaults to the body's model. */
  readonly model?: string;
  /** False: token counts only, every `hash` is "" (for callers that only need sizes, e.g. routing's cost model). */
  readonly hashes?: boolean;
  /** False: hash every block even where a recent prompt had the same (prefix-reuse.ts); the result is the same. */
  readonly reuse?: boolean;
  /** Where recent prompts' trails are kept (default: one cache shared by every caller that passes none). */
  readonly trails?: TrailCache;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function ttlOf(cc: unknown): CacheTtl | null {
  if (!isObj(cc)) return null;
  return cc['ttl'] === '1h' ? '1h' : '5m';
}

/**
 * A block's JSON without its own `cache_control` (markers are not content). Copies the block only when it has one:
 * a replacer function would be called for every key of every block, which dominated the cost of the analysis.
 */
function jsonWithoutCacheControl(b: unknown): string {
  if (isObj(b) && 'cache_control' in b) {
    const { cache_control: _omit, ...rest } = b;
    return JSON.stringify(rest);
  }
  return JSON.stringify(b);
}

/**
 * What a message block's hash is taken over: an injective, prefix-free encoding of its value (without its own
 * `cache_control`), keys in the client's order. Strings go in as they are, behind their length, so a large text or
 * tool result is never escaped into JSON first (JSON.stringify ran at a third of the hash's speed and was the
 * larger half of hashing an agent prompt).
 */
function hashKey(v: unknown, top: boolean): string {
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (Array.isArray(v)) {
    let out = `a${v.length}:`;
    for (const x of v) out += hashKey(x, false);
    return out;
  }
  if (isObj(v)) {
    let out = '';
    let n = 0;
    for (const k in v) {
      const x = v[k];
      if (x === undefined || (top && k === 'cache_control')) continue;
      out += `s${k.length}:${k}${hashKey(x, false)}`;
      n++;
    }
    return `o${n}:${out}`;
  }
  return `p${JSON.stringify(v) ?? 'null'};`;
}

/** Text a block contributes to the token estimate. */
function blockText(b: Obj): string {
  switch (b['type']) {
    case 'text':
      return typeof b['text'] === 'string' ? b['text'] : '';
    case 'thinking':
      return typeof b['thinking'] === 'string' ? b['thinking'] : '';
    case 'redacted_thinking':
      return typeof b['data'] === 'string' ? b['data'] : '';
    case 'tool_use':
    case 'server_tool_use':
      return `${String(b['name'] ?? '')}${JSON.stringify(b['input'] ?? {})}`;
    case 'tool_result': {
      const c = b['content'];
      if (typeof c === 'string') return c;
      if (Array.isArray(c)) return c.map((x) => (isObj(x) ? blockText(x) : '')).join('');
      return '';
    }
    case 'document': {
      const src = b['source'];
      if (isObj(src) && typeof src['data'] === 'string') {
        return src['type'] === 'base64' ? 'x'.repeat(Math.ceil((src['data'].length * 3) / 4 / 12)) : src['data'];
      }
      return '';
    }
    default:
      return jsonWithoutCacheControl(b);
  }
}

function blockTokens(b: Obj, family: TokenizerFamily): number {
  if (b['type'] === 'image') return IMAGE_TOKENS + BLOCK_OVERHEAD;
  let extra = 0;
  if (b['type'] === 'tool_result' && Array.isArray(b['content'])) {
    for (const x of b['content']) if (isObj(x) && x['type'] === 'image') extra += IMAGE_TOKENS;
  }
  return textTokens(blockText(b), family) + BLOCK_OVERHEAD + extra;
}

const isImage = (b: unknown): boolean => isObj(b) && b['type'] === 'image';

/** An image block in any message, or inside a tool result's content blocks (a string result carries no image). */
function hasImages(messages: unknown[]): boolean {
  for (const m of messages) {
    if (!isObj(m) || !Array.isArray(m['content'])) continue;
    for (const b of m['content']) {
      if (!isObj(b)) continue;
      if (b['type'] === 'image') return true;
      if (b['type'] === 'tool_result' && Array.isArray(b['content']) && b['content'].some(isImage)) return true;
    }
  }
  return false;
}

/**
 * The cumulative hash: state_i = H(state_{i-1} + settings mixed in since + length(block_i) + block_i), one one-shot
 * digest per block (snapshotting a streaming hash per block with Hash.copy cost ~20 us a block; hashing each block
 * on its own first and then the chain cost a second digest call per block).
 * SHA-1 is used as a fingerprint, not for security: collisions would need an adversary inside one's own prompts.
 */
class Chain {
  state = '';
  pending = '';
  mix(s: string): void {
    this.pending += s + '\u0000';
  }
  block(content: string): void {
    // The content's length before it keeps the boundary between the settings mixed in and the content unambiguous.
    this.state = digest('sha1', `${this.state}${this.pending}${content.length}\u0001${content}`, 'hex');
    this.pending = '';
  }
  /** Takes the state a trail reached after the same block (prefix-reuse.ts). */
  adopt(state: string): void {
    this.state = state;
    this.pending = '';
  }
}

/** A block's estimated tokens: a tool definition (its JSON, `json`), a system text, or a message content block. */
function tokensOf(what: 'tool' | 'system' | 'message', value: unknown, json: string, first: boolean, family: TokenizerFamily): number {
  if (what === 'tool') return textTokens(json, family) + BLOCK_OVERHEAD;
  if (what === 'system') return textTokens(value as string, family) + BLOCK_OVERHEAD;
  return blockTokens(value as Obj, family) + (first ? MESSAGE_OVERHEAD : 0);
}

/** Recent prompts' hash trails: a repeated beginning is compared, not hashed again (prefix-reuse.ts). */
const trails = new TrailCache();

/**
 * The trail cache's key for a tokenizer and model. The last one is kept as the same string object: a key built anew
 * per request is hashed anew at every lookup, which cost as much as matching a small prompt's blocks.
 */
let lastSetting = { family: '', model: '', key: '' };
function settingOf(family: string, model: string): string {
  if (family !== lastSetting.family || model !== lastSetting.model) lastSetting = { family, model, key: `${family}|${model}` };
  return lastSetting.key;
}

export function analyzePrefix(body: Obj, opts: PrefixOptions): PrefixAnalysis {
  const family = opts.family;
  const blocks: PrefixBlock[] = [];
  const hashing = opts.hashes !== false;
  const chain = new Chain();
  const model = opts.model ?? String(body['model'] ?? '');
  chain.mix(`model:${model}`);
  const setting = settingOf(family, model);
  const cache = opts.trails ?? trails;
  const matcher = hashing ? new TrailMatcher(opts.reuse === false ? [] : cache.candidates(setting)) : null;
  const trail: TrailUnit[] = [];
  let cum = 0;
  let position = -1;
  let lastKind = '';
  let error: string | null = null;

  /** What `measure` found for the block it was given (two variables rather than an object per block). */
  let mTokens = 0;
  let mHash = '';
  /**
   * The next block's tokens and hash: taken from a trail that hashed the same block after the same prefix, else
   * computed. `what` says which part of the prompt the block is in: a tool definition, a system text, or a message
   * content block (`first` of its message, with its role); `value` is what equality is judged on.
   */
  const measure = (what: 'tool' | 'system' | 'message', value: unknown, first: boolean, role: string): void => {
    if (!hashing) {
      mTokens = tokensOf(what, value, what === 'tool' ? jsonWithoutCacheControl(value) : '', first, family);
      mHash = '';
      return;
    }
    const pending = chain.pending;
    const u = matcher!.match(trail.length, chain.state, pending, first, role, value, what !== 'system');
    if (u) {
      // The matched unit itself goes into this prompt's trail: the trail keeps the values it already held alive,
      // not this body's copies of them (keeping each body until the next request promoted it to the old heap).
      mTokens = u.tokens;
      chain.adopt(u.state);
      trail.push(u);
    } else {
      // A tool's JSON is both what it is counted on and what its hash covers: made once, and only when not reused.
      const json = what === 'tool' ? jsonWithoutCacheControl(value) : '';
      mTokens = tokensOf(what, value, json, first, family);
      const content =
        what === 'tool' ? json
        : what === 'system' ? JSON.stringify({ type: 'text', text: value })
        : (first ? `role:${role}\u0000` : '') + hashKey(value, true);
      chain.block(content);
      trail.push({ pending, first, role, value, tokens: mTokens, state: chain.state });
    }
    mHash = chain.state.slice(0, 16);
  };

  const push = (b: Omit<PrefixBlock, 'index' | 'cumTokens' | 'hash' | 'position'>, hash: string): void => {
    cum += b.tokens;
    const runKind = b.kind === 'tool_use' || b.kind === 'tool_result' ? b.kind : '';
    if (!(runKind !== '' && runKind === lastKind)) position++;
    lastKind = runKind;
    // An explicit literal (not a spread) keeps every block the same hidden class: the spread cost more than the hash.
    blocks.push({
      index: blocks.length, section: b.section, path: b.path, at: b.at, blockAt: b.blockAt, kind: b.kind, role: b.role,
      tokens: b.tokens, cumTokens: cum, hash, cacheControl: b.cacheControl, cacheable: b.cacheable, position,
    });
  };

  // tools
  const tools = Array.isArray(body['tools']) ? body['tools'] : [];
  const toolChoice = isObj(body['tool_choice']) ? String(body['tool_choice']['type'] ?? 'auto') : 'auto';
  let hiddenToolPrompt = 0;
  if (tools.length > 0 && opts.toolOverhead) {
    hiddenToolPrompt = toolChoice === 'any' || toolChoice === 'tool' ? opts.toolOverhead.any : opts.toolOverhead.auto;
  }
  tools.forEach((t, i) => {
    measure('tool', t, false, '');
    const tokens = mTokens + (i === 0 ? hiddenToolPrompt : 0);
    push({ section: 'tools', path: `tools[${i}]`, at: i, blockAt: 0, kind: 'tool', role: null, tokens, cacheControl: isObj(t) ? ttlOf(t['cache_control']) : null, cacheable: true }, mHash);
  });

  // settings that invalidate the system cache
  chain.mix(`speed:${String(body['speed'] ?? 'standard')}`);
  let serverTools = 0;
  for (const t of tools) if (isObj(t) && typeof t['type'] === 'string' && t['type'].startsWith('web_search')) serverTools++;
  chain.mix(`server-tools:${serverTools}`);

  // system
  const system = body['system'];
  const sysBlocks: unknown[] = typeof system === 'string' ? (system.length ? [{ type: 'text', text: system }] : []) : Array.isArray(system) ? system : [];
  sysBlocks.forEach((b, i) => {
    if (!isObj(b)) return;
    const text = typeof b['text'] === 'string' ? b['text'] : '';
    measure('system', text, false, '');
    push(
      { section: 'system', path: typeof system === 'string' ? 'system' : `system[${i}]`, at: i, blockAt: 0, kind: String(b['type'] ?? 'text'), role: null, tokens: mTokens, cacheControl: ttlOf(b['cache_control']), cacheable: text.length > 0 },
      mHash,
    );
  });

  // settings that invalidate the message cache
  const messages = Array.isArray(body['messages']) ? body['messages'] : [];
  chain.mix(`tool_choice:${JSON.stringify(body['tool_choice'] ?? null)}`);
  chain.mix(`thinking:${JSON.stringify(body['thinking'] ?? null)}`);
  const oc = isObj(body['output_config']) ? body['output_config'] : {};
  chain.mix(`effort:${String(oc['effort'] ?? 'high')}`);
  chain.mix(`images:${hasImages(messages)}`);

  // messages
  messages.forEach((msg, mi) => {
    if (!isObj(msg)) return;
    const role = String(msg['role'] ?? '');
    const content: unknown[] = typeof msg['content'] === 'string' ? [{ type: 'text', text: msg['content'] }] : Array.isArray(msg['content']) ? msg['content'] : [];
    content.forEach((b, bi) => {
      if (!isObj(b)) return;
      const kind = String(b['type'] ?? 'text');
      measure('message', b, bi === 0, role);
      const emptyText = kind === 'text' && !(typeof b['text'] === 'string' && b['text'].length > 0);
      const cacheable = !(kind === 'thinking' || kind === 'redacted_thinking' || emptyText);
      const cc = ttlOf(b['cache_control']);
      if (cc && !cacheable && error === null) error = `messages.${mi}.content.${bi}: cache_control cannot be set on ${emptyText ? 'an empty text block' : `a ${kind} block`}`;
      push(
        { section: 'messages', path: typeof msg['content'] === 'string' ? `messages[${mi}].content` : `messages[${mi}].content[${bi}]`, at: mi, blockAt: bi, kind, role, tokens: mTokens, cacheControl: cc, cacheable },
        mHash,
      );
    });
  });
  if (hashing) cache.remember(setting, trail);

  // breakpoints: explicit ones, then the automatic one from a top-level cache_control
  const breakpoints: Breakpoint[] = [];
  for (const b of blocks) if (b.cacheControl) breakpoints.push({ block: b, ttl: b.cacheControl, automatic: false });
  const auto = ttlOf(body['cache_control']);
  if (auto) {
    let last: PrefixBlock | undefined;
    for (let i = blocks.length - 1; i >= 0 && !last; i--) if (blocks[i]!.cacheable) last = blocks[i];
    if (last) {
      if (last.cacheControl && last.cacheControl !== auto) {
        error ??= `cache_control: the last block already has a cache_control with ttl "${last.cacheControl}", which conflicts with the top-level ttl "${auto}"`;
      } else if (!last.cacheControl) {
        if (breakpoints.length >= 4) error ??= 'cache_control: automatic caching needs a free breakpoint slot, but 4 explicit cache_control blocks are already set';
        breakpoints.push({ block: last, ttl: auto, automatic: true });
      }
    }
  }
  if (breakpoints.length > 4) error ??= `A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints.length}.`;
  let seen5m = false;
  for (const bp of breakpoints) {
    if (bp.ttl === '5m') seen5m = true;
    else if (seen5m) {
      error ??= `${bp.block.path}: a cache_control with ttl "1h" cannot come after one with ttl "5m" (1h entries must precede 5m entries in tools, system, messages order)`;
      break;
    }
  }

  return { blocks, totalTokens: cum + REQUEST_OVERHEAD, breakpoints, error };
}
