/**
 * The complexity check: a cheap, offline and explainable score of how hard a request is. It reads only the request
 * (no model call): prompt length, code, maths, multi-step instructions, tools and agent depth, conversation depth,
 * the output the client expects, thinking and effort settings, and words that mark hard work (proofs, concurrency,
 * architecture). Every point it gives comes with a reason; the weights and the thresholds are configuration.
 */
import { z } from 'zod';
import { charTokens } from '../wire/tokens.js';
import { RecentTexts } from './recent-texts.js';
import type { RequestFacts } from './routing-request.js';

export const ComplexityWeightsSchema = z.object({
  /** Points per 1,000 estimated prompt tokens (the material to read), capped by `length_cap`. */
  per_1k_tokens: z.number().nonnegative().default(0.35),
  length_cap: z.number().nonnegative().default(1.5),
  /** Code in the prompt (fenced blocks or code-looking lines). */
  code: z.number().default(1.5),
  /** Mathematics (LaTeX, symbols, proof vocabulary). */
  maths: z.number().default(2),
  /** Asks for a proof or a derivation. */
  proof: z.number().default(4),
  /** Numbered or chained instructions, per step above two, capped at 3 points. */
  per_step: z.number().default(0.5),
  /** Hard-work vocabulary (concurrency, architecture, trade-offs, security...), per distinct term, capped at 4 hits. */
  per_hard_term: z.number().default(1.5),
  /** Asks for reasons (explain why, justify, assess, argue). */
  reasoning: z.number().default(1),
  /** Separate asks in the last user turn (sentences with a request verb), per ask above two, capped at 2 points. */
  per_ask: z.number().default(0.5),
  /** Tools defined (an agent): flat, plus per tool_use already in the history (capped at 20). */
  tools: z.number().default(0.5),
  per_tool_use: z.number().default(0.05),
  /** Conversation depth, per message beyond four (capped at 20). */
  per_turn: z.number().default(0.05),
  /** Expected output: long-form asks ("detailed", "comprehensive"), or a client max_tokens above 8,000 (half for 4,000+). */
  long_output: z.number().default(1),
  /** Extended thinking requested, or effort high enough to say the client wants depth. */
  thinking: z.number().default(2),
  effort_max: z.number().default(1.5),
  /** Hard quantitative constraints in the ask (5k writes/s, under 2ms, 10k QPS, 18 months...), two or more. */
  constraints: z.number().default(1),
  /** Open-ended creative or design work (essay, story, plan). */
  open_ended: z.number().default(0.75),
  /**
   * Context signals (length, tools and tool calls, conversation depth, the client's max_tokens) say how big a
   * request is, not how hard: together they count for at most this many points, so an agent's long session with a
   * plain instruction is not escalated for its size alone.
   */
  context_cap: z.number().nonnegative().default(2),
  /** Short-output signals (low max_tokens, "one word", "only the label") subtract this. */
  short_output: z.number().default(1.5),
});
export type ComplexityWeights = z.infer<typeof ComplexityWeightsSchema>;

export interface ComplexityReason {
  readonly signal: string;
  readonly points: number;
  readonly detail: string;
}

export interface ComplexityResult {
  readonly score: number;
  readonly reasons: readonly ComplexityReason[];
  /** Estimated prompt tokens (2025 tokenizer). */
  readonly promptTokens: number;
}

const CODE_LINE = /^\s*(def |class |function |const |let |var |import |from \S+ import|#include|public |private |func |fn |SELECT |INSERT |UPDATE |CREATE TABLE|return |if \(|for \(|while \(|}\s*$|\w+\(.*\)\s*[{;]\s*$|\s{4,}\S.*[;{}]\s*$)/gm;
const TRACE = /Traceback \(most recent call last\)|^\s+at [\w$.<>]+ \(.*:\d+:\d+\)|Exception in thread|panicked at|Segmentation fault|NullPointerException|TypeError:|ReferenceError:/m;
const MATHS = /\\(frac|sum|int|forall|exists|mathbb|leq|geq|sqrt|lim|prod|binom)|[∀∃∑∫√≤≥∞∈⊆≡]|\b(theorem|lemma|corollary|integral|derivative|eigenvalues?|matri(x|ces)|polynomials?|modulo|prime|divisible|probability|expected value|variance|convergen(t|ce)|inequality|bijection|isomorphi(c|sm)|group theory|topolog(y|ical)|combinatori(al|cs)|recurrence)\b/gi;
const PROOF = /\b(prove|proof|show that|demonstrate that|derive|derivation|formally verify|rigorous(ly)?|justify (every|each) step)\b/i;
const REASONING = /\b(explain (why|how)|and why\b|justif(y|ication)|argue|assess|evaluate|analy[sz]e|diagnose|critique|which party|implications?)\b/i;
const CONSTRAINT = /\b\d+(\.\d+)?\s?(k|m|x)?\s?(ms|s\b|\/s|qps|rps|tb|gb|mb|%|percent|months?|quarters?|years|engineers|nodes|regions|writes|reads|users|requests)\b/gi;
const ASK_VERB = /\b(explain|design|propose|compare|list|give|cover|include|analy[sz]e|prove|show|write|build|plan|discuss|identify|recommend|assess|find|implement|specify|sketch|point out|argue|determine|model|formali[sz]e|walk through|estimate|evaluate|describe|define|suggest)\b/i;
const STEP_LIST = /^\s*(\d+[.)]|[-*•]|step \d+[:.]?)\s+\S/gim;
const CHAIN = /\b(then|after that|next,|finally,|and then|once (that|this) is done|step by step)\b/gi;
const HARD_TERMS: readonly [string, RegExp][] = [
  ['concurrency', /\b(race condition|deadlock|concurren(t|cy)|thread[- ]safe|lock[- ]free|memory ordering|atomic(s|ally)?|mutex)\b/i],
  ['distributed systems', /\b(distributed|consensus|raft|paxos|eventual consistency|partition tolerance|idempoten(t|cy)|exactly[- ]once|failover|fault[- ]toleran(t|ce)|failure modes?|(in)?consisten(t|cy)|sagas?|two[- ]phase commit|distributed transactions?)\b/i],
  ['architecture', /\b(architecture|system design|design (a|an|the)( \w+)? (system|service|platform|protocol|scheme|schema|algorithm|data model|queue|sync)|scalab(le|ility)|migration (plan|strategy)|microservices?|multi-region|active-active)\b/i],
  ['trade-offs', /\b(trade-?offs?|pros and cons|weigh (the )?options|compare (the )?approaches|alternatives)\b/i],
  ['security', /\b(threat model|vulnerabilit(y|ies)|exploit|security (review|audit)|attack surface|cryptograph(y|ic)|side[- ]channel)\b/i],
  ['performance', /\b(optimi[sz]e (the )?(algorithm|query|performance)|time complexity|big-o|o\(n( log n|\^2)?\)|profil(e|ing)|bottleneck|latency budget)\b/i],
  ['root cause', /\b(root cause|intermittent(ly)?|flaky|heisenbug|only (happens|fails) (in|on|under)|memory leak|corrupt(ed|ion))\b/i],
  ['research', /\b(literature|state of the art|novel|hypothes(is|es)|counterexample|edge cases?|formal(ly)?|invariant|statistical(ly)? significan(t|ce)|reproduce the (results|benchmark))\b/i],
  ['strategy', /\b(strategy|roadmap|long[- ]term|multi[- ](year|quarter|phase)|phased|in phases|risk (assessment|analysis)|contingenc(y|ies)|prioriti[sz]ed plan)\b/i],
  ['legal/medical', /\b(liabilit(y|ies)|regulatory|compliance|contract clause|jurisdiction|differential diagnosis|contraindicat(ed|ion)|dosage|licen[cs]e (conflicts?|compatibility)|due[- ]diligence)\b/i],
];
const LONG_FORM = /\b(detailed|comprehensive|in[- ]depth|thorough(ly)?|exhaustive|full (implementation|report|analysis|design)|complete (implementation|guide)|long[- ]form|\d{3,5}[- ]words?)\b/i;
const OPEN_ENDED = /\b(essay|story|poem|screenplay|novel|chapter|brainstorm|plan (for|a|the)|proposal|itinerary|curriculum|lesson plan|business plan)\b/i;
const SHORT_OUTPUT = /\b(in one (word|sentence)|(answer|reply|respond) briefly|keep (it|answers|replies|your answer) (short|brief|to (one|two) sentences)|one word|single word|only (the|a|one) (label|word|number|category|letter|name)|no explanation|nothing else|respond (only )?with (only )?(the|a|one)\b|answer (only )?with (only )?(yes|no|true|false|a number|the number)|just the (answer|label|number|json))\b/i;

function count(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n++;
  return n;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * The part of the last user turn that gives instructions: pasted material is dropped, i.e. fenced blocks, tagged
 * sections longer than 500 characters (<document>...</document>) and lines longer than 1,200 characters (a pasted
 * paragraph; instructions are seldom written that way). If nothing is left, the first and last 600 characters stand
 * in. Without this, every sentence of a pasted contract with a verb like "build" or "plan" counted as a separate ask
 * and sent plain questions about the contract to Opus.
 */
export function instructionPart(text: string): string {
  const unwrapped = text
    .replace(/```[\s\S]*?```/g, '\n')
    .replace(/<([A-Za-z][\w-]*)[^>]*>([\s\S]*?)<\/\1>/g, (m, _tag: string, inner: string) => (inner.length > 500 ? '\n' : m));
  const kept = unwrapped.split('\n').filter((line) => line.length <= 1200).join('\n');
  if (kept.trim() !== '' || text.length <= 1200) return kept;
  return `${text.slice(0, 600)}\n${text.slice(-600)}`;
}

/** What the instruction-wide signals find in one text (the system prompt, or the last user turn). */
interface TextSignals {
  readonly maths: number;
  readonly proof: string | null;
  readonly reasoning: string | null;
  readonly hard: ReadonlySet<string>;
  readonly longForm: string | null;
  readonly short: string | null;
}

function signalsOf(text: string): TextSignals {
  return {
    maths: count(MATHS, text),
    proof: PROOF.exec(text)?.[0] ?? null,
    reasoning: REASONING.exec(text)?.[0] ?? null,
    hard: new Set(HARD_TERMS.filter(([, re]) => re.test(text)).map(([name]) => name)),
    longForm: LONG_FORM.exec(text)?.[0] ?? null,
    short: SHORT_OUTPUT.exec(text)?.[0] ?? null,
  };
}

/**
 * An application sends the same system prompt with every request, often tens of kilobytes (an agent's): its signals
 * are read once and kept (the last 32 prompts, recent-texts.ts). No signal's pattern spans a line break, so the
 * system prompt and the user turn read apart find what the two joined by one would.
 */
const systemSignals = new RecentTexts(signalsOf);
const signalsOfSystem = (text: string): TextSignals => systemSignals.get(text);

/** The instruction's signals: the system prompt's first, then the user turn's, as if they were one text. */
function instructionSignals(facts: RequestFacts): TextSignals {
  const sys = signalsOfSystem(facts.systemText);
  const user = signalsOf(facts.lastUserText);
  return {
    maths: sys.maths + user.maths,
    proof: sys.proof ?? user.proof,
    reasoning: sys.reasoning ?? user.reasoning,
    hard: new Set(HARD_TERMS.map(([name]) => name).filter((n) => sys.hard.has(n) || user.hard.has(n))),
    longForm: sys.longForm ?? user.longForm,
    short: sys.short ?? user.short,
  };
}

export function assessComplexity(facts: RequestFacts, weights: ComplexityWeights = ComplexityWeightsSchema.parse({})): ComplexityResult {
  const reasons: ComplexityReason[] = [];
  const add = (signal: string, points: number, detail: string): void => {
    if (points !== 0) reasons.push({ signal, points: round2(points), detail });
  };
  const instruction = instructionSignals(facts);
  const promptTokens = charTokens(facts.allTextChars, 'claude-2025');

  add('length', Math.min(weights.length_cap, (promptTokens / 1000) * weights.per_1k_tokens), `~${promptTokens} prompt tokens`);

  const fences = facts.codeFences / 2;
  const codeLines = count(CODE_LINE, facts.lastUserText);
  const trace = TRACE.test(facts.lastUserText);
  if (fences >= 1 || codeLines >= 4 || trace) {
    add('code', weights.code, `${fences >= 1 ? `${Math.floor(fences)} code block(s)` : `${codeLines} code-like lines`}${trace ? ', a stack trace' : ''}`);
  }

  const maths = instruction.maths;
  if (maths >= 1) add('maths', weights.maths * Math.min(2, maths / 2), `${maths} maths terms or symbols`);
  const proof = instruction.proof;
  if (proof !== null) add('proof', weights.proof, `asks to "${proof.toLowerCase()}"`);

  // Structure of the instructions: counted on what the user asked, not on what they pasted.
  const asked = instructionPart(facts.lastUserAsk);
  const steps = count(STEP_LIST, asked) + count(CHAIN, asked);
  if (steps > 2) add('multi-step', Math.min(3, (steps - 2) * weights.per_step), `${steps} steps or chained instructions`);
  const asks = asked.split(/(?<=[.?!])\s+|\n+/).filter((x) => ASK_VERB.test(x)).length;
  if (asks > 2) add('several asks', Math.min(2, (asks - 2) * weights.per_ask), `${asks} separate requests`);
  const constraints = count(CONSTRAINT, asked);
  if (constraints >= 2) add('constraints', weights.constraints, `${constraints} quantitative constraints`);
  const reasoning = instruction.reasoning;
  if (reasoning !== null) add('reasoning', weights.reasoning, `asks to "${reasoning.toLowerCase()}"`);

  const hard = [...instruction.hard];
  if (hard.length > 0) add('hard work', Math.min(4, hard.length) * weights.per_hard_term, hard.join(', '));

  if (facts.tools > 0) {
    add('tools', weights.tools + Math.min(20, facts.toolUses) * weights.per_tool_use, `${facts.tools} tool(s), ${facts.toolUses} tool call(s) so far`);
  }
  if (facts.turns > 4) add('conversation depth', Math.min(20, facts.turns - 4) * weights.per_turn, `${facts.turns} messages`);

  const longForm = instruction.longForm;
  const mt = facts.maxTokens ?? 0;
  if (longForm !== null) add('long output', weights.long_output, `asks for "${longForm.toLowerCase()}"`);
  else if (mt > 8000) add('long output (max_tokens)', weights.long_output, `max_tokens ${mt}`);
  else if (mt >= 4000) add('long output (max_tokens)', weights.long_output / 2, `max_tokens ${mt}`);
  const open = OPEN_ENDED.exec(facts.lastUserText);
  if (open) add('open-ended', weights.open_ended, `open-ended task ("${open[0].toLowerCase()}")`);

  if (facts.thinking !== null) add('thinking', weights.thinking, `${facts.thinking} thinking requested${facts.thinkingBudget ? ` (budget ${facts.thinkingBudget})` : ''}`);
  if (facts.effort === 'max' || facts.effort === 'xhigh') add('effort', weights.effort_max, `effort ${facts.effort}`);

  const short = instruction.short;
  if (short !== null || (facts.maxTokens !== null && facts.maxTokens <= 64)) {
    add('short output', -weights.short_output, short !== null ? `asks for "${short.toLowerCase()}"` : `max_tokens ${facts.maxTokens}`);
  }

  const CONTEXT = new Set(['length', 'tools', 'conversation depth', 'long output (max_tokens)']);
  const context = reasons.filter((r) => CONTEXT.has(r.signal)).reduce((s, r) => s + r.points, 0);
  if (context > weights.context_cap) add('context cap', weights.context_cap - context, `size signals count for at most ${weights.context_cap} points together`);
  const score = round2(reasons.reduce((s, r) => s + r.points, 0));
  return { score, reasons, promptTokens };
}
