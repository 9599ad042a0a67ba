/**
 * The price catalog: the shipped data (data/catalog.json) and the resolution of a model id (API id, alias, dated id,
 * Bedrock/Vertex id, Claude Code's "[1m]" suffix) to exactly one entry. An unknown model is an error; there is no
 * fallback and no substring guess. A user's catalog or overrides are validated by the schema in catalog-load.ts,
 * which is loaded only when there are some: the schema library costs ~50 ms to load, on every command otherwise.
 */
import { readFileSync } from 'node:fs';
import type { CatalogData, ModelEntry, PriceSet } from './catalog-schema.js';
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
  const k = id.trim().toLowerCase();
  return k.endsWith(']') ? k.replace(/\[[0-9]+[km]\]$/, '') : k;
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

let shipped: CatalogData | undefined;

/**
 * The shipped catalog, read as it is: the file is ours, and a test proves the schema accepts it and changes nothing
 * in it (catalog.test.ts), so validating it again on every start would only cost time.
 */
export function loadShippedCatalogData(): CatalogData {
  shipped ??= JSON.parse(readFileSync(defaultCatalogPath(), 'utf8')) as CatalogData;
  return shipped;
}

let defaultCatalog: Catalog | undefined;

/** The shipped catalog, loaded once. */
export function getDefaultCatalog(): Catalog {
  defaultCatalog ??= new Catalog(loadShippedCatalogData());
  return defaultCatalog;
}

/**
 * The catalog in force for a config file's "pricing" section: the shipped one when there is none, else the shipped
 * one with the overrides applied and validated (catalog-load.ts, loaded only then).
 */
export async function catalogWithOverrides(overrides: unknown): Promise<Catalog> {
  if (overrides === undefined) return getDefaultCatalog();
  const { loadCatalog } = await import('./catalog-load.js');
  return loadCatalog({ overrides });
}
