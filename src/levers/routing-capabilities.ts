/**
 * Whether a model can serve a request: everything the request uses must be something the model supports, per the
 * catalog (`context_window`, `max_output`, `supports`). Routing never picks a model this check rejects.
 */
import type { CatalogModel } from '../pricing/catalog.js';
import type { RequestFacts } from './routing-request.js';

/** Why `model` cannot serve the request; empty when it can. `promptTokens` is counted in the model's own tokenizer. */
export function missingCapabilities(facts: RequestFacts, promptTokens: number, model: CatalogModel): string[] {
  const e = model.entry;
  const s = e.supports;
  const out: string[] = [];
  if (e.status === 'retired') out.push('retired');
  const maxTokens = facts.maxTokens ?? 0;
  if (maxTokens > e.max_output) out.push(`max_tokens ${maxTokens} > max output ${e.max_output}`);
  if (promptTokens + maxTokens > e.context_window) out.push(`~${promptTokens} prompt + ${maxTokens} output tokens > context window ${e.context_window}`);
  if (facts.thinking === 'enabled' && !s.thinking) out.push('no extended thinking');
  if (facts.thinking === 'adaptive' && !s.adaptive_thinking) out.push('no adaptive thinking');
  if (facts.effort !== null && !(s.effort as readonly string[]).includes(facts.effort)) out.push(`no effort "${facts.effort}"`);
  if ((facts.tools > 0 || facts.toolUses > 0) && !s.tools) out.push('no tools');
  // Reference 4.1: models after Opus 4.6 accept only temperature 1 and no top_p/top_k. The catalog has no flag for
  // it; the 2026 tokenizer marks exactly those models (Claude 4.7 and later, Mythos, Haiku 5.5).
  if (facts.sampling && e.tokenizer === 'claude-2026') out.push('rejects temperature/top_p/top_k (models after Opus 4.6)');
  if (facts.fast && !(s.fast && model.fast)) out.push('no fast mode');
  if (facts.geo !== null && !model.geo?.has(facts.geo)) out.push(`no inference_geo "${facts.geo}"`);
  if ((facts.images > 0 || facts.documents > 0) && !s.images) out.push('no images or documents');
  return out;
}
