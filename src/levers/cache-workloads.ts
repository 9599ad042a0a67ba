/**
 * Caching workloads: deterministic request streams (seeded) that the caching tests and `bench/savings.ts` send
 * through gateway -> emulator. Each is sent as a naive client (no cache_control) or in Claude Code's own pattern
 * (two system blocks and the last user block marked, nothing on the tools).
 * - support: a ~3k-token system prompt, 10-20 turn conversations, turns 15-60 s apart with an occasional pause of
 *   6-9 minutes (so the 5m/1h choice matters);
 * - agent: ~15 tools, a ~2k-token system prompt, 30-step tool transcripts a few seconds apart;
 * - docs: one-off questions over a shared ~15k-token document.
 * Histories are synthesised client-side, so every run sends the same prompts whatever the emulator answers.
 */
import { CHARS_PER_TOKEN_X10 } from '../wire/tokens.js';

export type ClientStyle = 'naive' | 'claude-code';
export type WorkloadName = 'support' | 'agent' | 'docs';

type Obj = Record<string, unknown>;

export interface WorkloadStep {
  /** Milliseconds since the workload started. */
  readonly at: number;
  readonly session: string | null;
  readonly body: Obj;
}

export interface WorkloadOptions {
  readonly style: ClientStyle;
  /** Sessions (support, agent) or questions (docs). */
  readonly count?: number;
  readonly seed?: number;
  readonly model?: string;
}

/** mulberry32: a tiny deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCAB = (
  'order refund account shipping invoice customer policy product warranty return address delivery payment card ' +
  'please check status update ticket support agent reply request service billing plan upgrade cancel store item ' +
  'function module import export const return value error test build config server client cache request response'
).split(' ');

/** Text of about `tokens` tokens (claude-2025 estimate), deterministic for a seed. */
export function prose(tokens: number, r: () => number): string {
  const words: string[] = [];
  let len = -1;
  while (Math.ceil((Math.max(0, len) * 10) / CHARS_PER_TOKEN_X10['claude-2025']) < tokens) {
    const w = words.length % 13 === 12 ? '.\n' : VOCAB[Math.floor(r() * VOCAB.length)]!;
    words.push(w);
    len += w.length + 1;
  }
  return words.join(' ');
}

const between = (r: () => number, lo: number, hi: number): number => Math.floor(lo + r() * (hi - lo + 1));

const cc = { type: 'ephemeral' } as const;

function system(style: ClientStyle, head: string, rest: string): unknown {
  if (style === 'naive') return `${head}\n${rest}`;
  return [
    { type: 'text', text: head, cache_control: cc },
    { type: 'text', text: rest, cache_control: cc },
  ];
}

/** Marks the last block of the last user message, as Claude Code does. */
function markLastUser(messages: Obj[], style: ClientStyle): Obj[] {
  if (style === 'naive') return messages;
  const out: Obj[] = messages.map((m) => ({ ...m, content: Array.isArray(m['content']) ? [...(m['content'] as Obj[])] : [{ type: 'text', text: m['content'] }] }));
  for (let i = out.length - 1; i >= 0; i--) {
    const m = out[i]!;
    if (m['role'] !== 'user') continue;
    const c = m['content'] as Obj[];
    c[c.length - 1] = { ...c[c.length - 1]!, cache_control: cc };
    break;
  }
  return out;
}

function request(model: string, sys: unknown, messages: Obj[], style: ClientStyle, tools?: Obj[]): Obj {
  return { model, max_tokens: 256, ...(tools ? { tools } : {}), system: sys, messages: markLastUser(messages, style) };
}

export function supportChat({ style, count = 6, seed = 1, model = 'claude-sonnet-4-6' }: WorkloadOptions): WorkloadStep[] {
  const r = rng(seed);
  const head = 'You are the support assistant of Acme Outfitters. Today you help customers with orders.';
  const rest = prose(3000, r);
  const steps: WorkloadStep[] = [];
  for (let s = 0; s < count; s++) {
    const session = `support-${seed}-${s}`;
    let at = s * 90_000;
    const turns = between(r, 10, 20);
    const messages: Obj[] = [];
    for (let t = 0; t < turns; t++) {
      messages.push({ role: 'user', content: prose(between(r, 30, 80), r) });
      steps.push({ at, session, body: request(model, system(style, head, rest), [...messages], style) });
      messages.push({ role: 'assistant', content: prose(between(r, 120, 300), r) });
      at += r() < 0.1 ? between(r, 360_000, 540_000) : between(r, 15_000, 60_000);
    }
  }
  return steps.sort((a, b) => a.at - b.at);
}

const TOOL_NAMES = ['read_file', 'write_file', 'edit_file', 'list_dir', 'grep', 'glob', 'run_tests', 'bash', 'git_diff', 'git_log', 'web_fetch', 'todo_write', 'lint', 'type_check', 'format'];

export function codingAgent({ style, count = 3, seed = 2, model = 'claude-sonnet-4-6' }: WorkloadOptions): WorkloadStep[] {
  const r = rng(seed);
  const tools: Obj[] = TOOL_NAMES.map((name) => ({
    name,
    description: prose(between(r, 60, 110), r),
    input_schema: { type: 'object', properties: { path: { type: 'string', description: prose(15, r) }, query: { type: 'string', description: prose(15, r) } }, required: ['path'] },
  }));
  const head = 'You are a coding agent working in a TypeScript repository.';
  const rest = prose(2000, r);
  const steps: WorkloadStep[] = [];
  for (let s = 0; s < count; s++) {
    const session = `agent-${seed}-${s}`;
    let at = s * 240_000;
    const messages: Obj[] = [{ role: 'user', content: [{ type: 'text', text: prose(between(r, 60, 150), r) }] }];
    for (let step = 0; step < 30; step++) {
      steps.push({ at, session, body: request(model, system(style, head, rest), [...messages], style, tools) });
      const id = `toolu_${seed}_${s}_${step}`;
      messages.push({
        role: 'assistant',
        content: [
          { type: 'text', text: prose(between(r, 20, 60), r) },
          { type: 'tool_use', id, name: TOOL_NAMES[between(r, 0, TOOL_NAMES.length - 1)]!, input: { path: `src/mod${between(r, 1, 40)}.ts`, query: prose(8, r) } },
        ],
      });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: prose(between(r, 150, 900), r) }] });
      at += between(r, 3_000, 15_000);
    }
  }
  return steps.sort((a, b) => a.at - b.at);
}

export function documentQuestions({ style, count = 20, seed = 3, model = 'claude-sonnet-4-6' }: WorkloadOptions): WorkloadStep[] {
  const r = rng(seed);
  const head = 'You answer questions about the attached contract. Quote the clause you rely on.';
  const rest = prose(300, r);
  const doc = prose(15_000, r);
  const steps: WorkloadStep[] = [];
  let at = 0;
  for (let q = 0; q < count; q++) {
    const messages: Obj[] = [{ role: 'user', content: [{ type: 'text', text: doc }, { type: 'text', text: `Question ${q + 1}: ${prose(between(r, 15, 40), r)}?` }] }];
    steps.push({ at, session: null, body: request(model, system(style, head, rest), messages, style) });
    at += between(r, 20_000, 120_000);
  }
  return steps;
}

export function workload(name: WorkloadName, opts: WorkloadOptions): WorkloadStep[] {
  if (name === 'support') return supportChat(opts);
  if (name === 'agent') return codingAgent(opts);
  return documentQuestions(opts);
}

export interface DriveOptions {
  readonly url: string;
  readonly steps: readonly WorkloadStep[];
  /** Moves the shared clock to the workload's start + step.at before each request. */
  readonly advanceTo: (ms: number) => void;
  readonly apiKey?: string;
  readonly optimize?: boolean;
}

/** Sends a workload, one request at a time, in time order; throws on a non-2xx answer. */
export async function driveWorkload({ url, steps, advanceTo, apiKey = 'sk-ant-test-caching', optimize = true }: DriveOptions): Promise<void> {
  for (const s of steps) {
    advanceTo(s.at);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' };
    if (s.session !== null) headers['x-clawback-session'] = s.session;
    if (!optimize) headers['x-clawback-optimize'] = 'off';
    const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(s.body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`workload request failed: ${res.status} ${text.slice(0, 300)}`);
  }
}
