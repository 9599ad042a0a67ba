/**
 * Loading a catalog the user gave: a whole catalog (validated by the schema) or the shipped one with a config file's
 * "pricing" overrides (a known id is patched field by field, a new id must be a full entry; the result is validated
 * entry by entry). This is the only place the schema library is loaded at run time (catalog.ts says why).
 */
import type { z } from 'zod';
import { Catalog, CatalogError, loadShippedCatalogData, normalizeModelId } from './catalog.js';
import { CatalogOverridesSchema, CatalogSchema, ModelEntrySchema, type CatalogData } from './catalog-schema.js';

function formatZodError(err: z.ZodError, where: string): string {
  // Paths read as a user writes them: pricing.models[0].prices.input
  const path = (p: readonly PropertyKey[]): string => p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
  const first = err.issues.slice(0, 5).map((i) => `${where}${path(i.path)}: ${i.message}`);
  return first.join('; ');
}

/** Applies overrides: a known id is patched field by field (nested price sets too); a new id must be a full entry. */
export function applyOverrides(base: CatalogData, rawOverrides: unknown, where = 'pricing'): CatalogData {
  const parsed = CatalogOverridesSchema.safeParse(rawOverrides);
  if (!parsed.success) throw new CatalogError(`invalid price overrides: ${formatZodError(parsed.error, where)}`);
  const overrides = parsed.data;
  const models = base.models.map((m) => ({ ...m }));
  overrides.models.forEach((patch, i) => {
    const key = normalizeModelId(patch.id);
    const idx = models.findIndex((m) => normalizeModelId(m.id) === key || m.aliases.some((a) => normalizeModelId(a) === key));
    const known = idx >= 0 ? models[idx] : undefined;
    // A patched entry says so in its source (shown by `clawback prices`), unless the patch names its own source.
    const merged: unknown = known
      ? deepMerge(known as unknown as Record<string, unknown>, {
          source: `${known.source}; patched by the config file (${Object.keys(patch).filter((k) => k !== 'id').join(', ')})`,
          ...patch,
          // The patch may name the model by an alias; the entry keeps its canonical id (and so its dated id).
          id: known.id,
        })
      : { source: 'user override (config file)', source_date: today(), ...patch };
    const checked = ModelEntrySchema.safeParse(merged);
    if (!checked.success) {
      throw new CatalogError(`invalid price override for "${patch.id}": ${formatZodError(checked.error, `${where}.models[${i}]`)}`);
    }
    if (idx >= 0) models[idx] = checked.data;
    else models.push(checked.data);
  });
  return {
    ...base,
    server_tools: {
      web_search_per_1000: overrides.server_tools?.web_search_per_1000 ?? base.server_tools.web_search_per_1000,
      web_fetch_per_1000: overrides.server_tools?.web_fetch_per_1000 ?? base.server_tools.web_fetch_per_1000,
    },
    models,
  };
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function parseCatalog(raw: unknown, where = 'catalog'): CatalogData {
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) throw new CatalogError(`invalid price catalog: ${formatZodError(parsed.error, where)}`);
  return parsed.data;
}

export interface LoadCatalogOptions {
  /** A catalog to use instead of the shipped one (already-parsed JSON). */
  readonly data?: unknown;
  /** Price overrides, as found under "pricing" in the config file. */
  readonly overrides?: unknown;
}

export function loadCatalog(opts: LoadCatalogOptions = {}): Catalog {
  let data = opts.data === undefined ? loadShippedCatalogData() : parseCatalog(opts.data);
  if (opts.overrides !== undefined) data = applyOverrides(data, opts.overrides);
  return new Catalog(data);
}
