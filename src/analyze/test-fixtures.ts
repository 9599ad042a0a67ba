/** Test helpers: where the fixture logs are (from src/ under tsx, or from dist/ compiled), and a fixed price catalog. */
import { fileURLToPath } from 'node:url';
import type { Catalog } from '../pricing/catalog.js';
import { loadCatalog } from '../pricing/catalog-load.js';

export function fixturePath(rel: string): string {
  const here = new URL(import.meta.url);
  // Compiled tests run from dist/src/analyze; the fixtures stay in src/analyze/fixtures.
  const base = here.pathname.includes('/dist/') ? new URL('../../../src/analyze/fixtures/', here) : new URL('./fixtures/', here);
  return fileURLToPath(new URL(rel, base));
}

const entry = (id: string, family: 'opus' | 'sonnet' | 'haiku', aliases: string[], min: number, p: [string, string, string, string, string]) => ({
  id,
  name: id,
  family,
  aliases,
  status: 'active',
  tokenizer: 'claude-2025',
  context_window: 200000,
  max_output: 64000,
  min_cacheable_tokens: min,
  prices: { input: p[0], cache_write_5m: p[1], cache_write_1h: p[2], cache_read: p[3], output: p[4] },
  source: 'test',
  source_date: '2026-11',
});

/** The prices the tests' arithmetic uses (USD per million tokens), independent of the shipped catalog. */
export function testCatalog(): Catalog {
  return loadCatalog({
    data: {
      version: 'test',
      currency: 'USD',
      server_tools: { web_search_per_1000: '10' },
      models: [
        entry('claude-opus-4-7', 'opus', [], 1024, ['5', '6.25', '10', '0.50', '25']),
        entry('claude-sonnet-4-6', 'sonnet', [], 1024, ['3', '3.75', '6', '0.30', '15']),
        entry('claude-haiku-4-5-20251001', 'haiku', ['claude-haiku-4-5'], 1024, ['1', '1.25', '2', '0.10', '5']),
      ],
    },
  });
}
