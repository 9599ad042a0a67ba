/**
 * The pessimistic price of a request before it is sent, for budget reservations: every input token the request
 * carries, priced at the dearest line it could be billed at (a 1h cache write if the request marks any 1h
 * breakpoint, a 5m write if it marks any, else plain input), plus `max_tokens` of output at the output price, plus
 * each web search the request allows. Priced by the one cost engine, so batch/geo/fast/tier rules all apply.
 * With the emulator the token estimate is exact; against the real API it is the same estimate the levers use.
 */
import type { Catalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';
import { analyzePrefix } from '../wire/prefix.js';

export interface ReserveEstimate {
  /** The catalog's id for the model that was priced. */
  readonly model: string;
  readonly inputTokens: number;
  readonly maxTokens: number;
  readonly pico: Pico;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Web searches the request allows: the sum of each web_search tool's `max_uses` (a tool without one counts 1). */
function allowedSearches(body: Obj): number {
  const tools = Array.isArray(body['tools']) ? body['tools'] : [];
  let n = 0;
  for (const t of tools) {
    if (isObj(t) && typeof t['type'] === 'string' && t['type'].startsWith('web_search')) {
      n += typeof t['max_uses'] === 'number' && t['max_uses'] > 0 ? Math.floor(t['max_uses']) : 1;
    }
  }
  return n;
}

/** Throws UnknownModelError when the catalog does not know the body's model. */
export function estimateReservation(catalog: Catalog, body: Readonly<Obj>): ReserveEstimate {
  const modelId = typeof body['model'] === 'string' ? body['model'] : '';
  const m = catalog.resolve(modelId);
  const prefix = analyzePrefix(body as Obj, { family: m.entry.tokenizer, toolOverhead: m.entry.tool_use_system_prompt_tokens, model: m.entry.id });
  const inputTokens = prefix.totalTokens;
  const maxTokens = typeof body['max_tokens'] === 'number' && body['max_tokens'] > 0 ? Math.floor(body['max_tokens']) : m.entry.max_output;
  const has1h = prefix.breakpoints.some((b) => b.ttl === '1h');
  const hasAny = prefix.breakpoints.length > 0;
  const usage: Usage = {
    input_tokens: hasAny ? 0 : inputTokens,
    cache_creation_input_tokens: hasAny ? inputTokens : 0,
    cache_creation: { ephemeral_5m_input_tokens: hasAny && !has1h ? inputTokens : 0, ephemeral_1h_input_tokens: has1h ? inputTokens : 0 },
    cache_read_input_tokens: 0,
    output_tokens: maxTokens,
    server_tool_use: { web_search_requests: allowedSearches(body as Obj) },
  };
  const geo = typeof body['inference_geo'] === 'string' ? body['inference_geo'] : undefined;
  const priced = priceUsage(catalog, m.entry.id, usage, { fast: body['speed'] === 'fast', ...(geo !== undefined ? { geo } : {}) });
  return { model: priced.model, inputTokens, maxTokens, pico: priced.total };
}
