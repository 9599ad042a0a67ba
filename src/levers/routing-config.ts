/**
 * Configuration of the routing lever: the config file's "levers.routing" section. Checked once, when the lever is
 * built; a bad field is named in the error.
 */
import { z } from 'zod';
import { ComplexityWeightsSchema } from './complexity.js';
import { TemplateSchema } from './templates.js';

export const TIERS = ['haiku', 'sonnet', 'opus'] as const;
export type Tier = (typeof TIERS)[number];

const FeaturesSchema = z.object({
  tools: z.boolean().optional(),
  images: z.boolean().optional(),
  thinking: z.boolean().optional(),
  stream: z.boolean().optional(),
  min_prompt_tokens: z.number().int().nonnegative().optional(),
  max_prompt_tokens: z.number().int().nonnegative().optional(),
});

const regex = z.string().refine((p) => {
  try {
    new RegExp(p, 'i');
    return true;
  } catch {
    return false;
  }
}, 'a valid regular expression');

/** What a route matches on; every given condition must hold, and an empty match matches every request. */
export const RouteMatchSchema = z
  .object({
    /** Tags (x-clawback-tags) that must all be present with these values. */
    tags: z.record(z.string(), z.string()).optional(),
    /** An API key's hash or its last four characters. */
    key: z.string().optional(),
    /** metadata.user_id (or the attributed user). */
    user_id: z.string().optional(),
    /** A template id (configured or built-in, e.g. "builtin:classification") that must match. */
    template: z.string().optional(),
    /** A regular expression on the system prompt or the last user turn (see `on`). */
    pattern: regex.optional(),
    on: z.enum(['system', 'user', 'any']).default('any'),
    features: FeaturesSchema.optional(),
  })
  .prefault({});
export type RouteMatch = z.infer<typeof RouteMatchSchema>;

export const RouteSchema = z.object({
  name: z.string().min(1),
  match: RouteMatchSchema,
  /** The route's default model (else the configured default tier's model). */
  model: z.string().min(1).optional(),
  /** Never change the model on this route. */
  pin: z.boolean().default(false),
  demote: z.boolean().default(true),
  escalate: z.boolean().default(true),
});
export type RouteConfig = z.infer<typeof RouteSchema>;

export const RoutingConfigSchema = z.object({
  mode: z.enum(['off', 'observe', 'enforce']).default('observe'),
  models: z
  .object({
      haiku: z.string().min(1).default('claude-haiku-4-5'),
      sonnet: z.string().min(1).default('claude-sonnet-4-6'),
      opus: z.string().min(1).default('claude-opus-4-7'),
    })
    .prefault({}),
  default_tier: z.enum(TIERS).default('sonnet'),
  /** Complexity score at or above which a request goes to the opus tier. */
  escalate_at: z.number().default(3.4),
  /** A short-form request demotes to the haiku tier only when its score is below this. */
  demote_below: z.number().default(1.5),
  /** A request whose own max_tokens is at most this is short-form too (the client expects a short answer). */
  demote_max_tokens: z.number().int().nonnegative().default(256),
  weights: ComplexityWeightsSchema.prefault({}),
  templates: z.array(TemplateSchema).default([]),
  builtin_templates: z.boolean().default(true),
  routes: z.array(RouteSchema).default([]),
  /** Keys (hash or last four) and users whose requests are never re-routed. */
  pins: z.object({ keys: z.array(z.string()).default([]), users: z.array(z.string()).default([]) }).prefault({}),
  /** Allow routing to a model that costs more than the one the client asked for (escalation). */
  allow_upgrade: z.boolean().default(true),
  /** Keep a session on its model unless a switch pays for re-writing the warm cache. */
  sticky: z.boolean().default(true),
  /** How long a session's cache is assumed warm after its last request (ms). */
  session_warm_ms: z.number().int().positive().default(5 * 60_000),
  /** Sessions remembered at most (oldest forgotten first). */
  max_sessions: z.number().int().positive().default(50_000),
});
export type RoutingConfig = z.infer<typeof RoutingConfigSchema>;
export type RoutingConfigInput = z.input<typeof RoutingConfigSchema>;

export class RoutingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoutingConfigError';
  }
}

export function parseRoutingConfig(raw: unknown, where = 'levers.routing'): RoutingConfig {
  const r = RoutingConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const first = r.error.issues.slice(0, 3).map((i) => `${where}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
    throw new RoutingConfigError(`invalid routing config: ${first.join('; ')}`);
  }
  return r.data;
}
