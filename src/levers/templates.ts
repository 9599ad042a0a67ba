/**
 * Short-form templates: requests whose answer is a label, a few fields, a yes/no or a short rewrite. They are what
 * routing demotes to the small model. Built-in templates recognise the usual phrasings on the system prompt or the
 * last user turn; configured templates (an id, a kind and a regular expression) add a team's own. A match names the
 * template id and the phrase that matched, so the decision can be explained.
 */
import { z } from 'zod';
import { RecentTexts } from './recent-texts.js';

export const TEMPLATE_KINDS = ['classification', 'extraction', 'yes_no', 'short_rewrite', 'other'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export const TemplateSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(TEMPLATE_KINDS).default('other'),
  /** A regular expression (case-insensitive) tested against the text named by `on`. */
  pattern: z.string().min(1).refine((p) => {
    try {
      new RegExp(p, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'a valid regular expression'),
  on: z.enum(['system', 'user', 'any']).default('any'),
  /** Whether a match is a short-form request (demotable). */
  short_form: z.boolean().default(true),
});
export type TemplateConfig = z.infer<typeof TemplateSchema>;

export interface TemplateMatch {
  readonly id: string;
  readonly kind: TemplateKind;
  readonly shortForm: boolean;
  /** The text that matched (trimmed to 60 characters). */
  readonly matched: string;
  readonly on: 'system' | 'user';
}

interface CompiledTemplate {
  readonly id: string;
  readonly kind: TemplateKind;
  readonly re: RegExp;
  readonly on: 'system' | 'user' | 'any';
  readonly shortForm: boolean;
}

/** The built-in short-form phrasings. Order matters only for which id is reported first. */
export const BUILTIN_TEMPLATES: readonly TemplateConfig[] = [
  {
    id: 'builtin:yes-no',
    kind: 'yes_no',
    on: 'any',
    short_form: true,
    pattern: String.raw`\b(answer|respond|reply)( only)? with (only )?("?yes"? or "?no"?|"?true"? or "?false"?)|\byes/no\b|\b(yes|no) only\b|\btrue or false\b`,
  },
  {
    id: 'builtin:classification',
    kind: 'classification',
    on: 'any',
    short_form: true,
    pattern: String.raw`(^|[.!?:]\s+|\n)\s*(please )?(classify|categori[sz]e|label|tag|triage|route)\b.{0,80}\b(into|as|with|one of|categor|label|bucket|intent|sentiment|priority|queue|topic)|\b(which|what) (category|label|intent|sentiment|department|queue|priority)\b|\bsentiment (of|for|analysis)\b|\b(is|are) (this|these|the following) (spam|toxic|phishing|off-topic)\b|\b(output|return|respond with) (only )?(the|a|one|a single) (label|category|class|intent|score)\b|\bone of: `,
  },
  {
    id: 'builtin:extraction',
    kind: 'extraction',
    on: 'any',
    short_form: true,
    pattern: String.raw`\bextract\b|\bpull out (the|all|every)\b|\bparse (the|this|these|following)\b.{0,60}\b(into|as) (json|fields|a table|csv)|\breturn (only )?(a )?json (object )?with (the )?(keys|fields)\b|\bfill (in )?(the|these) fields\b|\bnormali[sz]e (the|this|these) (address|date|phone|name)`,
  },
  {
    id: 'builtin:brief-answer',
    kind: 'other',
    on: 'any',
    short_form: true,
    pattern: String.raw`\b(answer|reply|respond) (briefly|concisely|in one sentence|in (one|two|a few) sentences)\b|\bkeep (it|answers|replies|your answers?) (short|brief|to (one|two) sentences)\b|\bin one sentence\b`,
  },
  {
    id: 'builtin:format-convert',
    kind: 'short_rewrite',
    on: 'user',
    short_form: true,
    pattern: String.raw`^\s*(convert|turn|format|reformat|sort)\b.{0,80}\b(into|to|as|in|alphabetically|by)\b`,
  },
  {
    id: 'builtin:short-rewrite',
    kind: 'short_rewrite',
    on: 'any',
    short_form: true,
    pattern: String.raw`\b(rewrite|rephrase|reword|paraphrase|shorten|tighten|proofread)\b.{0,60}\b(sentence|line|message|title|subject|tweet|headline|paragraph|reply|email|text|this)\b|\bfix (the )?(grammar|spelling|typos|punctuation)\b|\bmake (this|it) (more )?(polite|formal|friendly|concise|shorter|professional)\b|\b(translate) (this|the following) (sentence|phrase|word|line|title|label|message|string)s?\b|\bcorrect the (spelling|grammar)\b`,
  },
];

export function compileTemplates(configured: readonly TemplateConfig[], builtins = true): readonly CompiledTemplate[] {
  const all = [...configured, ...(builtins ? BUILTIN_TEMPLATES : [])];
  return all.map((t) => ({ id: t.id, kind: t.kind, re: new RegExp(t.pattern, 'is'), on: t.on, shortForm: t.short_form }));
}

/** Every template matching the request, configured ones first. `text` limits how much of a long prompt is searched. */
export function matchTemplates(
  compiled: readonly CompiledTemplate[],
  systemText: string,
  lastUserText: string,
  scanChars = 4000,
): TemplateMatch[] {
  if (compiled.length === 0) return [];
  const sys = systemMatches(compiled, systemText.slice(0, scanChars));
  // The instruction is usually at the start or the end of the last user turn; long pasted material sits between.
  const user = lastUserText.length > scanChars ? `${lastUserText.slice(0, scanChars / 2)}\n${lastUserText.slice(-scanChars / 2)}` : lastUserText;
  const out: TemplateMatch[] = [];
  for (let i = 0; i < compiled.length; i++) {
    const t = compiled[i]!;
    const onSystem = sys[i];
    if (onSystem !== null && onSystem !== undefined) {
      out.push({ id: t.id, kind: t.kind, shortForm: t.shortForm, matched: onSystem, on: 'system' });
      continue;
    }
    if (t.on === 'system') continue;
    const m = t.re.exec(user);
    if (m) out.push({ id: t.id, kind: t.kind, shortForm: t.shortForm, matched: m[0].slice(0, 60), on: 'user' });
  }
  return out;
}

/**
 * What each template matched in a system prompt (its first 60 characters; null: no match or not searched there),
 * remembered for the last 64 distinct prompts per template set (recent-texts.ts: found by a short key and ===, not
 * by hashing a 4,000-character text at every lookup): an application sends the same system prompt with every
 * request, and searching it was half of the template matching.
 */
const systemMemo = new WeakMap<readonly CompiledTemplate[], RecentTexts<readonly (string | null)[]>>();

function systemMatches(compiled: readonly CompiledTemplate[], sys: string): readonly (string | null)[] {
  let memo = systemMemo.get(compiled);
  if (!memo) {
    memo = new RecentTexts(
      (text) =>
        compiled.map((t) => {
          if (t.on === 'user') return null;
          const m = t.re.exec(text);
          return m ? m[0].slice(0, 60) : null;
        }),
      64,
    );
    systemMemo.set(compiled, memo);
  }
  return memo.get(sys);
}
