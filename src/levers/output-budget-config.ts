/**
 * Configuration of the output-budget lever: the config file's "levers.output" section, checked once when the lever
 * is built.
 */
import { z } from 'zod';
import { RouteMatchSchema } from './routing-config.js';

const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

const Tuning = {
  /** The quantile of a route's observed output lengths the cap starts from. */
  quantile: z.number().gt(0).lte(1).optional(),
  /** The cap is the quantile times this margin. */
  margin: z.number().gte(1).optional(),
  /** A fixed cap for the route instead of a learned one. */
  cap: z.number().int().positive().optional(),
};

export const OutputRouteSchema = z.object({
  name: z.string().min(1),
  match: RouteMatchSchema,
  /** Added to the request's own stop_sequences (e.g. "</answer>"). */
  stop_sequences: z.array(z.string().min(1)).default([]),
  /** `output_config.effort` to set when the client set none and the model supports the value. */
  effort: z.enum(EFFORTS).optional(),
  /** Continue an answer our cap truncated (overrides the section's `continue_truncated`). */
  continue: z.boolean().optional(),
  ...Tuning,
});
export type OutputRoute = z.infer<typeof OutputRouteSchema>;

export const OutputConfigSchema = z.object({
  mode: z.enum(['off', 'observe', 'enforce']).default('observe'),
  quantile: z.number().gt(0).lte(1).default(0.99),
  margin: z.number().gte(1).default(1.3),
  /** No cap before a route has this many observed answers. */
  min_samples: z.number().int().positive().default(20),
  /** Observed answers kept per route (the most recent). */
  window: z.number().int().positive().default(500),
  /** Never cap below this many tokens. */
  min_cap: z.number().int().positive().default(64),
  /** Stop sequences added to every request (routes add their own). */
  stop_sequences: z.array(z.string().min(1)).default([]),
  /** Continue answers our cap truncated, so the client never sees a truncation it did not ask for. */
  continue_truncated: z.boolean().default(false),
  /** Follow-up calls at most per answer when continuing. */
  max_continuations: z.number().int().nonnegative().default(2),
  routes: z.array(OutputRouteSchema).default([]),
  /** Routes (learned statistics) remembered at most. */
  max_routes: z.number().int().positive().default(10_000),
});
export type OutputConfig = z.infer<typeof OutputConfigSchema>;

export class OutputConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputConfigError';
  }
}

export function parseOutputConfig(raw: unknown, where = 'levers.output'): OutputConfig {
  const r = OutputConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const first = r.error.issues.slice(0, 3).map((i) => `${where}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
    throw new OutputConfigError(`invalid output budget config: ${first.join('; ')}`);
  }
  return r.data;
}
