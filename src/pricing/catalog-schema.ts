/**
 * The price catalog's shape. The catalog is data (data/catalog.json, plus a user's overrides); this schema is the
 * one gate it passes through, and every type the cost engine uses is inferred from it.
 */
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-10-07');

const decimal = z.string().regex(/^\d+(\.\d{1,6})?$/, 'a decimal string such as "3" or "0.125" (USD per million tokens)');

/** One full price set, USD per million tokens, as the pricing page lists them. */
export const PriceSetSchema = z.object({
  input: decimal,
  cache_write_5m: decimal,
  cache_write_1h: decimal,
  cache_read: decimal,
  output: decimal,
});

/** A price tier: when a request's prompt (input + cache writes + cache reads) exceeds the threshold, the whole request uses these prices. */
export const TierSchema = z.object({
  above_prompt_tokens: z.number().int().positive(),
  prices: PriceSetSchema,
  note: z.string().optional(),
});

export const ModelStatusSchema = z.enum(['active', 'limited', 'legacy', 'deprecated', 'retired']);

/** Tokenizer families: the 2026 tokenizer (Claude 4.7 and later, Mythos Preview, Haiku 5.5) counts ~30% more tokens for the same text. */
export const TokenizerFamilySchema = z.enum(['claude-2025', 'claude-2026']);

export const ModelEntrySchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  family: z.enum(['opus', 'sonnet', 'haiku', 'fable', 'mythos']),
  aliases: z.array(z.string().min(1)).default([]),
  status: ModelStatusSchema,
  /** Release date, where the reference gives one. */
  released: isoDate.optional(),
  /** When the first-party API id stopped working, where known (it may live on at Bedrock or Google Cloud). */
  retired_on: isoDate.optional(),
  tokenizer: TokenizerFamilySchema,
  context_window: z.number().int().positive(),
  max_output: z.number().int().positive(),
  min_cacheable_tokens: z.number().int().nonnegative(),
  prices: PriceSetSchema,
  /** Multiplier for the Message Batches API; every line of the bill is scaled by it. */
  batch_multiplier: decimal.default('0.5'),
  tiers: z.array(TierSchema).default([]),
  /** Prices with `speed: "fast"`; null where fast mode does not exist for the model. */
  fast: PriceSetSchema.nullable().default(null),
  /** Multiplier per `inference_geo` value other than the default ("global"); null where the model does not accept the field. */
  inference_geo: z.record(z.string(), decimal).nullable().default(null),
  /** Hidden tool-use system prompt the API adds when tools are supplied (tool_choice auto/none vs any/tool). */
  tool_use_system_prompt_tokens: z.object({ auto: z.number().int().nonnegative(), any: z.number().int().nonnegative() }).optional(),
  supports: z
    .object({
      thinking: z.boolean().default(true),
      adaptive_thinking: z.boolean().default(false),
      effort: z.array(z.enum(['low', 'medium', 'high', 'xhigh', 'max'])).default([]),
      tools: z.boolean().default(true),
      images: z.boolean().default(true),
      fast: z.boolean().default(false),
    })
    .prefault({}),
  source: z.string().min(1),
  source_date: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'a date such as 2026-09 or 2026-09-15'),
  notes: z.string().optional(),
});

export const ServerToolFeesSchema = z.object({
  /** USD per 1,000 web searches (usage.server_tool_use.web_search_requests). */
  web_search_per_1000: decimal,
  /** USD per 1,000 web fetches; fetches are free, content is billed as tokens. */
  web_fetch_per_1000: decimal.default('0'),
});

export const CatalogSchema = z.object({
  version: z.string(),
  currency: z.literal('USD'),
  server_tools: ServerToolFeesSchema,
  models: z.array(ModelEntrySchema).min(1),
});

/** A user's overrides: existing models patched field by field, new models given in full. */
export const CatalogOverridesSchema = z.object({
  server_tools: ServerToolFeesSchema.partial().optional(),
  models: z.array(z.looseObject({ id: z.string().min(1) })).default([]),
});

export type PriceSet = z.infer<typeof PriceSetSchema>;
export type Tier = z.infer<typeof TierSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type ModelStatus = z.infer<typeof ModelStatusSchema>;
export type TokenizerFamily = z.infer<typeof TokenizerFamilySchema>;
export type CatalogData = z.infer<typeof CatalogSchema>;
export type CatalogOverrides = z.infer<typeof CatalogOverridesSchema>;
