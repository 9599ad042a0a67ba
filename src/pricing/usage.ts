/**
 * The `usage` object as the Messages API returns it (JSON responses, the SSE `message_start`/`message_delta`
 * events, batch results, Claude Code logs). Every field may be missing or null: older responses lack the TTL split,
 * logs write `"inference_geo": ""`, and new fields appear without notice. Typed loosely on purpose.
 */
export interface CacheCreationSplit {
  ephemeral_5m_input_tokens?: number | null;
  ephemeral_1h_input_tokens?: number | null;
}

export interface ServerToolUse {
  web_search_requests?: number | null;
  web_fetch_requests?: number | null;
  code_execution_requests?: number | null;
}

/** One extra sampling step (e.g. `type: "compaction"`) or the final message step (`type: "message"`). */
export interface UsageIteration {
  type?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: CacheCreationSplit | null;
}

export interface Usage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: CacheCreationSplit | null;
  server_tool_use?: ServerToolUse | null;
  service_tier?: string | null;
  inference_geo?: string | null;
  speed?: string | null;
  iterations?: readonly UsageIteration[] | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** Token counts by billing line, for one sampling step. */
export interface TokenLines {
  input: number;
  cache_write_5m: number;
  cache_write_1h: number;
  cache_read: number;
  output: number;
}

function n(v: number | null | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * Splits one step's usage into billing lines.
 * - `input_tokens` is uncached input only (the API's own definition); cache reads and writes are separate fields.
 * - Cache writes are split by TTL from `cache_creation`. Without the split, the whole aggregate is a 5m write
 *   (the only TTL that existed before the split was reported). If the split sums to less than the aggregate,
 *   the remainder is counted as 5m; if it sums to more, the split wins (it is the more detailed report).
 */
export function tokenLines(u: Usage | UsageIteration): TokenLines {
  const aggregate = n(u.cache_creation_input_tokens);
  const split = u.cache_creation;
  let w5 = aggregate;
  let w1h = 0;
  if (split) {
    w5 = n(split.ephemeral_5m_input_tokens);
    w1h = n(split.ephemeral_1h_input_tokens);
    if (w5 + w1h < aggregate) w5 += aggregate - (w5 + w1h);
  }
  return { input: n(u.input_tokens), cache_write_5m: w5, cache_write_1h: w1h, cache_read: n(u.cache_read_input_tokens), output: n(u.output_tokens) };
}

/** Prompt length that decides a price tier: all input the step read, cached or not. */
export function promptTokens(l: TokenLines): number {
  return l.input + l.cache_write_5m + l.cache_write_1h + l.cache_read;
}

/**
 * The sampling steps a response is billed for. The top-level counts describe the final message step; extra steps
 * (server-side compaction and the like) appear only in `usage.iterations`, and are billed too. An iteration of
 * type "message" repeats the top-level counts, so it is not added again.
 */
export function billedSteps(u: Usage): TokenLines[] {
  const steps = [tokenLines(u)];
  for (const it of u.iterations ?? []) {
    if (it && it.type !== 'message') steps.push(tokenLines(it));
  }
  return steps;
}
