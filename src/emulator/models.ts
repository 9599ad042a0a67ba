/** GET /v1/models and /v1/models/{id}: the catalog as the Models API shows it (limits and capabilities). */
import type { Catalog } from '../pricing/catalog.js';
import type { ModelEntry } from '../pricing/catalog-schema.js';
import { ApiError } from '../wire/errors.js';

const yes = { supported: true } as const;
const no = { supported: false } as const;
const sup = (b: boolean): { supported: boolean } => (b ? yes : no);

export function modelInfo(e: ModelEntry): Record<string, unknown> {
  const effort = new Set(e.supports.effort);
  return {
    type: 'model',
    id: e.id,
    display_name: e.name,
    created_at: `${e.source_date.length === 7 ? `${e.source_date}-01` : e.source_date}T00:00:00Z`,
    lifecycle: e.status === 'retired' ? 'retired' : e.status === 'deprecated' ? 'deprecated' : 'active',
    deprecated_at: null,
    retires_at: null,
    line: e.family,
    max_input_tokens: e.context_window,
    max_tokens: e.max_output,
    capabilities: {
      batch: yes,
      citations: yes,
      code_execution: yes,
      context_management: { supported: true, clear_thinking_20251015: yes, clear_tool_uses_20250919: yes, compact_20260112: null },
      effort: { supported: effort.size > 0, low: sup(effort.has('low')), medium: sup(effort.has('medium')), high: sup(effort.has('high')), max: sup(effort.has('max')), xhigh: sup(effort.has('xhigh')) },
      image_input: sup(e.supports.images),
      pdf_input: yes,
      server_tools: { supported: true, web_search: yes, code_execution: yes },
      structured_outputs: yes,
      thinking: {
        supported: e.supports.thinking,
        types: { enabled: sup(e.supports.thinking), adaptive: sup(e.supports.adaptive_thinking), disabled: yes, between_tools: sup(e.supports.thinking) },
      },
    },
  };
}

export function listModels(catalog: Catalog, q: URLSearchParams): Record<string, unknown> {
  const all = catalog.models().filter((m) => m.status !== 'retired').map(modelInfo);
  const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 20) || 20));
  const after = q.get('after_id');
  const before = q.get('before_id');
  let from = 0;
  let to = all.length;
  if (after) from = all.findIndex((m) => m['id'] === after) + 1;
  if (before) to = Math.max(0, all.findIndex((m) => m['id'] === before));
  let data = all.slice(from, to);
  const hasMore = data.length > limit;
  data = before && !after ? data.slice(-limit) : data.slice(0, limit);
  return { data, has_more: hasMore, first_id: data[0]?.['id'] ?? null, last_id: data[data.length - 1]?.['id'] ?? null };
}

export function getModel(catalog: Catalog, id: string): Record<string, unknown> {
  const m = catalog.tryResolve(id);
  if (!m || m.entry.status === 'retired') throw new ApiError('not_found_error', `model: ${id}`);
  return modelInfo(m.entry);
}
