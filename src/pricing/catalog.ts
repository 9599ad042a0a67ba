/**
 * The price catalog: loads the shipped data (data/catalog.json), applies a user's overrides, validates both with
 * the schema, and resolves a model id (API id, alias, dated id, Bedrock/Vertex id, Claude Code's "[1m]" suffix)
 * to exactly one entry. An unknown model is an error; there is no fallback and no substring guess.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  CatalogOverridesSchema,
  CatalogSchema,
  ModelEntrySchema,
  type CatalogData,
  type ModelEntry,
  type PriceSet,
} from './catalog-schema.js';
import { parseRatio, perMTokToPicoPerToken, usdToPico, type Pico, type Ratio } from './money.js';

/** Rates in pico-dollars per token. */
export interface Rates {
  readonly input: Pico;
  readonly cache_write_5m: Pico;
  readonly cache_write_1h: Pico;
  readonly cache_read: Pico;
  readonly output: Pico;
}

export interface CatalogModel {
  readonly entry: ModelEntry;
  readonly standard: Rates;
  /** Sorted by threshold, highest first. */
  readonly tiers: readonly { readonly abovePromptTokens: number; readonly rates: Rates }[];
  readonly fast: Rates | null;
  readonly batch: Ratio;
  readonly geo: ReadonlyMap<string, Ratio> | null;
}

export class UnknownModelError extends Error {
  constructor(readonly model: string) {
    super(
      `unknown model "${model}": it is not in clawback's price catalog. ` +
        `Add it to your config file under "pricing": {"models": [{"id": "${model}", ...}]} (see "Prices and the cost engine" in the README), ` +
        `or run "clawback prices" to list the known ids.`,
    );
    this.name = 'UnknownModelError';
  }
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

export function compileRates(p: PriceSet): Rates {
  return {
    input: perMTokToPicoPerToken(p.input),
    cache_write_5m: perMTokToPicoPerToken(p.cache_write_5m),
    cache_write_1h: perMTokToPicoPerToken(p.cache_write_1h),
    cache_read: perMTokToPicoPerToken(p.cache_read),
    output: perMTokToPicoPerToken(p.output),
  };
}

function compileModel(entry: ModelEntry): CatalogModel {
  return {
    entry,
    standard: compileRates(entry.prices),
    tiers: entry.tiers
      .map((t) => ({ abovePromptTokens: t.above_prompt_tokens, rates: compileRates(t.prices) }))
      .sort((a, b) => b.abovePromptTokens - a.abovePromptTokens),
    fast: entry.fast ? compileRates(entry.fast) : null,
    batch: parseRatio(entry.batch_multiplier),
    geo: entry.inference_geo ? new Map(Object.entries(entry.inference_geo).map(([k, v]) => [k, parseRatio(v)])) : null,
  };
}

/** The key a model id is looked up by: lower case, without Claude Code's context-window suffix ("[1m]"). */
export function normalizeModelId(id: string): string {
  return id.trim().toLowerCase().replace(/\[[0-9]+[km]\]$/, '');
}

export class Catalog {
  private readonly byId = new Map<string, CatalogModel>();
  readonly webSearchPerSearch: Pico;
  readonly webFetchPerFetch: Pico;

  constructor(readonly data: CatalogData) {
    for (const entry of data.models) {
      const model = compileModel(entry);
      for (const key of [entry.id, ...entry.aliases]) {
        const k = normalizeModelId(key);
        const prior = this.byId.get(k);
        if (prior && prior.entry.id !== entry.id) {
          throw new CatalogError(`model id "${key}" is claimed by both "${prior.entry.id}" and "${entry.id}"`);
        }
        this.byId.set(k, model);
      }
    }
    this.webSearchPerSearch = usdToPico(data.server_tools.web_search_per_1000) / 1000n;
    this.webFetchPerFetch = usdToPico(data.server_tools.web_fetch_per_1000) / 1000n;
  }

  /** The entry for a model id; throws UnknownModelError naming the model. */
  resolve(modelId: string): CatalogModel {
    const m = this.byId.get(normalizeModelId(modelId));
    if (!m) throw new UnknownModelError(modelId);
    return m;
  }

  tryResolve(modelId: string): CatalogModel | undefined {
    return this.byId.get(normalizeModelId(modelId));
  }

  models(): readonly ModelEntry[] {
    return this.data.models;
  }
}

/** Where the shipped catalog lives: <package>/data/catalog.json, two levels above this file in src/ and in dist/. */
export function defaultCatalogPath(): URL {
  const here = new URL(import.meta.url);
  // src/pricing/catalog.ts and dist/src/pricing/catalog.js both sit under the package root.
  const depth = here.pathname.includes('/dist/') ? '../../../' : '../../';
  return new URL(`${depth}data/catalog.json`, here);
}

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

let shipped: CatalogData | undefined;

export function loadShippedCatalogData(): CatalogData {
  shipped ??= parseCatalog(JSON.parse(readFileSync(defaultCatalogPath(), 'utf8')), 'data/catalog.json');
  return shipped;
}

export function loadCatalog(opts: LoadCatalogOptions = {}): Catalog {
  let data = opts.data === undefined ? loadShippedCatalogData() : parseCatalog(opts.data);
  if (opts.overrides !== undefined) data = applyOverrides(data, opts.overrides);
  return new Catalog(data);
}

let defaultCatalog: Catalog | undefined;

/** The shipped catalog, loaded once. */
export function getDefaultCatalog(): Catalog {
  defaultCatalog ??= loadCatalog();
  return defaultCatalog;
}
