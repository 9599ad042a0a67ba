/**
 * The caching lever: places cache_control breakpoints where prefixes repeat, picks 5m or 1h from observed reuse
 * gaps, finds cache busters, and attributes what it saved. On by default (enforce): breakpoints cannot change an
 * answer. The pieces, one concept per file:
 * - cache-placement.ts: where breakpoints go (client's kept, <= 4, newest turn, lookback, shared heads);
 * - cache-ttl.ts: the 5m/1h rule from the model's prices, with the arithmetic;
 * - cache-reuse.ts: reuse gaps, continuation odds, branch points (learned per workspace);
 * - cache-busters.ts: which block broke the prefix and why; cache-apply.ts: editing the body (and the key-order fix);
 * - cache-shadow.ts: the prompt-cache engine run on the lever's own copy of the cache state;
 * - cache-forensics.ts: per-session / per-prefix statistics from the usage store.
 *
 * Attribution: baseline = the body as it reached this lever (the client's own breakpoints) billed against a shadow
 * of the cache fed only with such bodies, scaled to the prompt size the API reported; saving = baseline - actual.
 */
import { priceResolved } from '../pricing/cost.js';
import type { CatalogModel } from '../pricing/catalog.js';
import type { Usage } from '../pricing/usage.js';
import { analyzePrefix, type CacheTtl, type PrefixAnalysis, type PrefixBlock } from '../wire/prefix.js';
import type { LeverDecisionRecord } from '../store/record.js';
import { applyMarkers, sortToolUseInputs } from './cache-apply.js';
import { findBuster, isBuster, type Buster, type Seen } from './cache-busters.js';
import { DOCUMENT_TOKENS, placeBreakpoints, type Placement } from './cache-placement.js';
import { BranchPoints, ContinuationOdds, GapStats } from './cache-reuse.js';
import { CacheShadow, TTL_MS, type CachePlan } from './cache-shadow.js';
import { chooseTtl } from './cache-ttl.js';
import type { Attribution, Lever, LeverMode, Outcome, RequestPlan } from './lever.js';

/** Options of the lever; the config file's `levers.caching` section is validated in defaults.ts. */
export interface CachingOptions {
  readonly mode?: LeverMode;
  readonly upgradeClientTtl?: boolean;
  /** The clock TTLs are measured with (tests and the emulator share a manual one). */
  readonly now?: () => number;
  /**
   * Sessions whose previous request is kept for buster detection (each holds that request's body). Sessions idle
   * for an hour (the longest TTL) are dropped too.
   */
  readonly maxSessions?: number;
}

export type MissReason = 'cold' | 'expired' | 'lookback' | 'below_minimum' | `buster:${Buster['kind']}`;

interface Memo {
  readonly space: string;
  readonly sessionKey: string;
  readonly model: CatalogModel;
  readonly input: Readonly<Record<string, unknown>>;
  readonly base: PrefixAnalysis;
  readonly sent: PrefixAnalysis;
  readonly basePlan: CachePlan;
  readonly sentPlan: CachePlan;
  readonly bucket: string;
  /** When the lever planned the request, on its clock (TTLs are measured from here). */
  readonly t: number;
  readonly sortKeys: boolean;
  /** The body the lever left in plan.body, and the breakpoints it carries (its analysis is `sent`). */
  readonly out: Readonly<Record<string, unknown>>;
  readonly breakpoints: readonly SentBreakpoint[];
}

/** A breakpoint of the body sent: the block it sits on and its TTL. */
export interface SentBreakpoint {
  readonly block: PrefixBlock;
  readonly ttl: CacheTtl;
}

interface Session {
  seen: Seen;
  sortKeys: boolean;
  at: number;
}

export interface CachingLever extends Lever {
  readonly name: 'caching';
  /**
   * Tokens of this body's prompt the lever believes are in the cache for `modelId` right now (0 when cold): what a
   * model switch would throw away. For the routing lever's stickiness, and the planner's weighing of levers.
   */
  warmTokens(body: Readonly<Record<string, unknown>>, model: CatalogModel, attribution: Attribution, modelId?: string): number;
  /**
   * The prefix analysis of the body this lever left in `plan.body` (its blocks and hashes; cache_control markers
   * change no hash) with the breakpoints that body carries: what prompt-prefix fingerprints are made of, so the
   * gateway and SDK wrapper need not analyse the body again. Null when the lever did not plan the request, a later
   * step replaced the body, or the plan was settled already.
   */
  sentPrefix(plan: RequestPlan): { readonly analysis: PrefixAnalysis; readonly breakpoints: readonly SentBreakpoint[] } | null;
}

const ok = (status: number): boolean => status >= 200 && status < 300;

export function createCachingLever({ mode = 'enforce', upgradeClientTtl = false, now = Date.now, maxSessions = 2_000 }: CachingOptions = {}): CachingLever {
  if (!['off', 'observe', 'enforce'].includes(mode)) throw new TypeError(`caching lever: mode must be off, observe or enforce (got ${String(mode)})`);
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new TypeError('caching lever: maxSessions must be a positive integer');
  // leverShadow: the cache as the bodies this lever plans would leave it (the real one in enforce mode).
  const leverShadow = new CacheShadow();
  // clientShadow: the cache as the client's own bodies would leave it (the baseline).
  const clientShadow = new CacheShadow();
  const gaps = new GapStats();
  const odds = new ContinuationOdds();
  const branches = new BranchPoints();
  const sessions = new Map<string, Session>();
  const memos = new WeakMap<RequestPlan, Memo>();

  const inputCost = (m: CatalogModel, usage: Usage): bigint => priceResolved(m, 0n, usage).total;

  function heads(a: PrefixAnalysis): PrefixBlock[] {
    const out: PrefixBlock[] = [];
    const lastOf = (s: string): PrefixBlock | undefined => a.blocks.findLast((b) => b.section === s && b.cacheable);
    const t = lastOf('tools');
    const s = lastOf('system');
    if (t) out.push(t);
    if (s) out.push(s);
    const last = a.blocks.findLast((b) => b.cacheable);
    for (const b of a.blocks) if (b.section === 'messages' && b.cacheable && b.tokens >= DOCUMENT_TOKENS && b !== last) out.push(b);
    for (const bp of a.breakpoints) if (bp.block.section !== 'messages' && !out.includes(bp.block)) out.push(bp.block);
    return out;
  }

  function missReason(space: string, a: PrefixAnalysis, plan: CachePlan, t: number, minTokens: number, buster: Buster | null, shadow: CacheShadow): MissReason | null {
    if ((a.blocks.at(-1)?.cumTokens ?? 0) < minTokens) return 'below_minimum';
    const hit = plan.hitBlock ?? -1;
    const anchor = shadow.deepestLive(space, a.blocks, t);
    if (anchor && anchor.index > hit) return 'lookback';
    // The previous request of the session had more of its prompt cached than this one can read: a buster.
    if (isBuster(buster) && buster.lostTokens >= plan.usage.cache_read_input_tokens) return `buster:${buster.kind}`;
    if (a.blocks.some((b) => b.index > hit && shadow.expired(space, b.hash, t))) return 'expired';
    return plan.usage.cache_read_input_tokens > 0 ? null : 'cold';
  }

  /**
   * Everything the lever learns from a request, done when it is planned rather than when it is metered: the
   * gateway meters a response after relaying it, and a client's next turn can arrive before that, so learning
   * at metering time would make the lever's picture depend on timing. The emulator makes an entry readable when
   * the response begins, i.e. before the client can send its next turn, so committing at plan time matches what
   * a sequential client sees. (A request that then fails leaves entries the shadow believes in until they expire.)
   */
  function learn(memo: Memo): void {
    const at = memo.t;
    sessions.delete(memo.sessionKey);
    sessions.set(memo.sessionKey, { seen: { body: memo.input, analysis: memo.base }, sortKeys: memo.sortKeys, at });
    // Least recently used first: drop beyond the cap, and whatever has been idle longer than the longest TTL.
    for (const [k, v] of sessions) {
      if (sessions.size <= maxSessions && v.at > at - TTL_MS['1h']) break;
      sessions.delete(k);
    }
    leverShadow.commit(memo.sentPlan);
    clientShadow.commit(memo.basePlan);
    const blocks = memo.sent.blocks;
    for (const h of heads(memo.sent)) {
      const g = gaps.see(`h:${memo.space}:${h.hash}`, at);
      if (g !== null) gaps.addGap(`head:${memo.space}:${h.section}`, g);
      branches.see(`${memo.space}:${h.hash}`, blocks[h.index + 1]?.hash ?? null);
    }
    const last = blocks.findLast((b) => b.cacheable);
    if (last) odds.expect(last.hash, memo.bucket, at);
  }

  /** Whether the API read what the lever's shadow predicted, within 2% of the prompt (token estimates are estimates). */
  function inSync(memo: Memo, read: number, actual: number): boolean {
    const predicted = memo.sentPlan.usage.cache_read_input_tokens;
    const est = memo.sent.totalTokens;
    const scaled = est > 0 && actual > 0 ? (predicted * actual) / est : predicted;
    return Math.abs(read - scaled) <= Math.max(1, actual * 0.02);
  }

  function describe(p: Placement, applied: boolean): string {
    const added = p.markers.filter((m) => !m.client).map((m) => `${m.why} ${m.ttl}`);
    const raised = p.markers.filter((m) => m.client).map((m) => `${m.block.path} to ${m.ttl}`);
    const parts: string[] = [];
    if (added.length) parts.push(`${applied ? 'added' : 'would add'} ${added.length} breakpoint${added.length > 1 ? 's' : ''} (${added.join(', ')})`);
    if (raised.length) parts.push(`${applied ? 'raised' : 'would raise'} ${raised.join(', ')}`);
    return parts.length ? parts.join('; ') : 'breakpoints left as the client set them';
  }

  const lever: CachingLever = {
    name: 'caching',
    mode,
    warmTokens(body, model, attribution, modelId) {
      const a = analyzePrefix(body, { family: model.entry.tokenizer, toolOverhead: model.entry.tool_use_system_prompt_tokens, ...(modelId !== undefined ? { model: modelId } : {}) });
      return leverShadow.deepestLive(attribution.keyHash ?? '-', a.blocks, now())?.cumTokens ?? 0;
    },
    sentPrefix(plan) {
      const memo = memos.get(plan);
      return memo && memo.out === plan.body ? { analysis: memo.sent, breakpoints: memo.breakpoints } : null;
    },
    plan(plan) {
      const m = plan.model;
      const messages = plan.body['messages'];
      if (m === null || !Array.isArray(messages)) return;
      const t = now();
      const popts = { family: m.entry.tokenizer, toolOverhead: m.entry.tool_use_system_prompt_tokens };
      const input = plan.body;
      const base = analyzePrefix(input, popts);
      const space = plan.attribution.keyHash ?? '-';
      const sid = plan.attribution.sessionId;
      const sessionKey = sid !== null ? `s:${sid}` : `k:${space}`;
      const sess = sessions.get(sessionKey);
      const buster = sess ? findBuster(sess.seen, { body: input, analysis: base }, sid !== null) : null;
      if (sess && buster?.kind === 'tool_input_key_order') sess.sortKeys = true;
      const minTokens = m.entry.min_cacheable_tokens;

      let body = input;
      let fixed = false;
      if (mode === 'enforce' && sess?.sortKeys) {
        const sorted = sortToolUseInputs(input);
        if (sorted) {
          body = sorted;
          fixed = true;
        }
      }
      const analysis = fixed ? analyzePrefix(body, popts) : base;
      const turnGap = odds.continues(analysis.blocks.map((b) => b.hash), t);
      if (turnGap !== null) gaps.addGap(`turn:${space}`, turnGap);
      // Continuation odds are learned per application: per shared head (the system prompt, else the tools) and turn
      // kind, so a chat and a one-off Q&A behind the same key do not blur each other's odds.
      const head = analysis.blocks.findLast((b) => b.section !== 'messages');
      const bucket = `${space}:${head?.hash ?? '-'}:${messages.length <= 1 ? 'first' : 'later'}`;

      const anchor = leverShadow.deepestLive(space, analysis.blocks, t);
      const lastBlock = analysis.blocks.findLast((b) => b.cacheable);
      const headTokens = Math.max(0, ...heads(analysis).map((b) => b.cumTokens));
      const cached = anchor?.cumTokens ?? 0;
      const sizes = { write: Math.max(0, (lastBlock?.cumTokens ?? 0) - cached), atRisk: Math.max(0, cached - headTokens) };
      // A buster in the tools or the system prompt (a timestamp, say) will most likely strike again on the next request
      // of the session: nothing from that block on would be read, so nothing from there is marked until it is stable.
      const volatile = isBuster(buster) && !buster.path.startsWith('messages') && buster.kind !== 'model_switch' && buster.kind !== 'tool_key_order'
        ? (analysis.blocks.find((b) => b.path === buster.path)?.index ?? null)
        : null;
      const placement = placeBreakpoints({
        analysis,
        stopAt: volatile,
        minTokens,
        rates: m.standard,
        continuation: odds.odds(bucket),
        turnTtl: chooseTtl(m.standard, gaps.gapsOf(`turn:${space}`), sizes),
        headTtl: (b) => {
          const own = gaps.gapsOf(`h:${space}:${b.hash}`);
          return chooseTtl(m.standard, own.length > 0 ? own : gaps.gapsOf(`head:${space}:${b.section}`));
        },
        branchPoint: (h) => branches.isBranch(`${space}:${h}`),
        seen: (h) => gaps.seen(`h:${space}:${h}`),
        anchor,
        upgradeClient: upgradeClientTtl && mode === 'enforce',
      });
      const sentPlan = leverShadow.simulate(space, analysis, t, minTokens, placement.breakpoints);
      const basePlan = clientShadow.simulate(space, base, t, minTokens);
      const saving = inputCost(m, basePlan.usage) - inputCost(m, sentPlan.usage);
      const changed = placement.markers.length > 0 || fixed;
      const applied = mode === 'enforce' && changed && base.error === null;
      if (applied) plan.body = applyMarkers(body, placement.markers);
      const miss = missReason(space, analysis, sentPlan, t, minTokens, buster, leverShadow);
      const u = sentPlan.usage;
      const decision: LeverDecisionRecord = {
        lever: 'caching',
        mode,
        applied,
        summary: describe(placement, mode === 'enforce') + (fixed ? '; sorted tool_use input keys' : '') + (isBuster(buster) ? `; cache buster at ${buster.path}: ${buster.kind}` : ''),
        estimatedSavingPico: saving.toString(),
        detail: {
          breakpoints: placement.breakpoints.map((b) => ({ path: b.block.path, ttl: b.ttl, tokens: b.block.cumTokens })),
          added: placement.markers.filter((x) => !x.client).map((x) => ({ path: x.block.path, ttl: x.ttl, why: x.why })),
          raised: placement.markers.filter((x) => x.client).map((x) => ({ path: x.block.path, ttl: x.ttl })),
          skipped: placement.skipped,
          predicted: { input: u.input_tokens, write5m: u.cache_creation.ephemeral_5m_input_tokens, write1h: u.cache_creation.ephemeral_1h_input_tokens, read: u.cache_read_input_tokens },
          miss,
          buster: isBuster(buster) ? buster : null,
          sortedToolInputKeys: fixed,
        },
      };
      plan.decisions.push(decision);
      const memo: Memo = {
        space, sessionKey, model: m, input, base, sent: analysis, basePlan, sentPlan, bucket, t, sortKeys: sess?.sortKeys ?? false,
        // Sorted keys the lever did not apply: plan.body is not the body analysed, so nothing is shared.
        out: applied || !fixed ? plan.body : body, breakpoints: applied ? placement.breakpoints : analysis.breakpoints,
      };
      memos.set(plan, memo);
      learn(memo);
    },

    attribute(plan: RequestPlan, outcome: Outcome): bigint | null {
      const memo = memos.get(plan);
      const priced = outcome.priced;
      if (mode !== 'enforce' || !memo || !priced || !ok(outcome.status)) return null;
      const tk = priced.tokens;
      const actual = tk.input + tk.cache_write_5m + tk.cache_write_1h + tk.cache_read;
      if (!inSync(memo, tk.cache_read, actual)) return null; // the shadows do not know this cache: no honest baseline
      const u = memo.basePlan.usage;
      const est = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
      const scale = (n: number): number => (est > 0 && actual > 0 ? Math.floor((n * actual) / est) : n);
      const w5 = scale(u.cache_creation.ephemeral_5m_input_tokens);
      const w1 = scale(u.cache_creation.ephemeral_1h_input_tokens);
      const read = scale(u.cache_read_input_tokens);
      const inputTokens = actual > 0 ? Math.max(0, actual - w5 - w1 - read) : u.input_tokens;
      const baseline = priceResolved(
        memo.model,
        0n,
        { input_tokens: inputTokens, cache_creation_input_tokens: w5 + w1, cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 }, cache_read_input_tokens: read, output_tokens: tk.output },
        { batch: priced.batch, fast: priced.fast, ...(priced.geo !== null ? { geo: priced.geo } : {}) },
      );
      return baseline.total + priced.breakdown.server_tools - priced.total;
    },

    observe(plan: RequestPlan, outcome: Outcome): void {
      const memo = memos.get(plan);
      memos.delete(plan);
      const tk = outcome.priced?.tokens;
      if (!memo || !tk || !ok(outcome.status) || mode !== 'enforce') return;
      const actual = tk.input + tk.cache_write_5m + tk.cache_write_1h + tk.cache_read;
      if (inSync(memo, tk.cache_read, actual)) return;
      // The API read more than the shadow knew of (say, after a restart): the deepest block within what it read was
      // cached, so the shadow learns it. (The client shadow is left alone; attribution skips such requests.)
      const readEst = actual > 0 ? (tk.cache_read * memo.sent.totalTokens) / actual : tk.cache_read;
      const hit = memo.sent.blocks.findLast((b) => b.cumTokens <= readEst + 1);
      if (hit && tk.cache_read > 0) leverShadow.remember(memo.space, hit, memo.t);
    },
  };
  return lever;
}
