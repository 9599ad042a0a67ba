/**
 * Scenario files: scripted answers, matched against each request. The first scenario whose `match` fits wins;
 * a request nothing matches gets the default answer (answers.ts).
 *
 * File format (JSON): either an array of scenarios or `{"scenarios": [...]}`. A scenario:
 *   match.model / match.system / match.user   substring of the model id, the system text, the last user text;
 *                                             "/regex/flags" for a regular expression. All given must match.
 *   text            the answer text                     length        or: an answer of exactly N output tokens
 *   tool_calls      [{"name","input"}]: tool_use blocks after the text; stop_reason "tool_use"
 *   tail            text after the answer, after which the model rambles on until a stop sequence or max_tokens
 *   thinking_tokens thinking tokens (billed as output; a thinking block when the request enables thinking)
 *   stop_reason     the stop reason to report when nothing cuts the answer short (end_turn, refusal, pause_turn...)
 *   web_searches    server-side web searches billed with the answer (usage.server_tool_use.web_search_requests)
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Pattern = z.string().min(1);

export const ScenarioSchema = z.object({
  name: z.string().optional(),
  match: z.object({ model: Pattern.optional(), system: Pattern.optional(), user: Pattern.optional() }).strict().default({}),
  text: z.string().optional(),
  length: z.number().int().nonnegative().optional(),
  tool_calls: z.array(z.object({ name: z.string().min(1), input: z.record(z.string(), z.unknown()).default({}) })).default([]),
  tail: z.string().optional(),
  thinking_tokens: z.number().int().nonnegative().default(0),
  stop_reason: z.enum(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded']).optional(),
  web_searches: z.number().int().nonnegative().default(0),
}).strict();

export const ScenarioFileSchema = z.union([z.array(ScenarioSchema), z.object({ scenarios: z.array(ScenarioSchema) }).strict()]);

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export function parseScenarios(raw: unknown, where = 'scenarios'): Scenario[] {
  const r = ScenarioFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ScenarioError(`invalid scenario file ${where}: ${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'unreadable'}`);
  }
  const list = Array.isArray(r.data) ? r.data : r.data.scenarios;
  for (const s of list) for (const p of Object.values(s.match)) if (p !== undefined) compilePattern(p, where);
  return list;
}

export function loadScenarioFile(path: string): Scenario[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`cannot read scenario file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseScenarios(raw, path);
}

function compilePattern(p: string, where = 'scenarios'): (s: string) => boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(p);
  if (!m) return (s) => s.includes(p);
  try {
    const re = new RegExp(m[1] ?? '', m[2]);
    return (s) => re.test(s);
  } catch (err) {
    throw new ScenarioError(`invalid regular expression ${p} in ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface MatchInput {
  readonly model: string;
  readonly system: string;
  readonly user: string;
}

export function findScenario(list: readonly Scenario[], req: MatchInput): Scenario | undefined {
  return list.find((s) => {
    const { model, system, user } = s.match;
    return (model === undefined || compilePattern(model)(req.model)) && (system === undefined || compilePattern(system)(req.system)) && (user === undefined || compilePattern(user)(req.user));
  });
}
