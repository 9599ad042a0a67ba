/**
 * The levers clawback runs by default, built from the config file's "levers" section. The gateway and the SDK
 * wrapper both call this, so the same request gets the same plan whichever face it came through.
 *
 *   "levers": {
 *     "caching": { "mode": "enforce" },   // default enforce: it cannot change an answer
 *     "routing": { "mode": "observe", ... },   // see routing-config.ts
 *     "output":  { "mode": "observe", ... }    // see output-budget-config.ts
 *   }
 *
 * Order matters: routing picks the model first, the output budget then caps max_tokens for that model, and the
 * caching lever places breakpoints last, against the model that will actually serve the request.
 */
import { z } from 'zod';
import type { ConfigDocument } from '../config.js';
import { ConfigError } from '../config.js';
import { createCachingLever } from './caching.js';
import type { Lever } from './lever.js';
import { createOutputBudgetLever } from './output-budget.js';
import { createPlanner, type Planner } from './planner.js';
import { createRoutingLever } from './routing.js';

const CachingSection = z.strictObject({
  mode: z.enum(['off', 'observe', 'enforce']).default('enforce'),
  /** Raise a client's own 5m breakpoints to 1h where the reuse gaps say it pays. */
  upgrade_client_ttl: z.boolean().default(false),
});

const LeversSection = z.looseObject({
  caching: z.unknown().optional(),
  routing: z.unknown().optional(),
  output: z.unknown().optional(),
});

export interface DefaultPlannerOptions {
  /** The clock the levers measure reuse gaps and TTLs with. */
  readonly now?: () => number;
}

function section(config: ConfigDocument): z.infer<typeof LeversSection> {
  const raw = config['levers'] ?? {};
  const parsed = LeversSection.safeParse(raw);
  if (!parsed.success) throw new ConfigError('config: "levers" must be an object with optional "caching", "routing" and "output" sections');
  return parsed.data;
}

export function createDefaultLevers(config: ConfigDocument = {}, { now = Date.now }: DefaultPlannerOptions = {}): Lever[] {
  const s = section(config);
  const caching = CachingSection.safeParse(s.caching ?? {});
  if (!caching.success) {
    const i = caching.error.issues[0];
    throw new ConfigError(`invalid config at levers.caching${i && i.path.length ? '.' + i.path.join('.') : ''}: ${i?.message ?? 'invalid'}`);
  }
  const output = createOutputBudgetLever({ config: s.output ?? {} });
  const routing = createRoutingLever({ config: s.routing ?? {}, outputHint: (plan) => output.expectedOutput(plan), now });
  const cache = createCachingLever({ mode: caching.data.mode, upgradeClientTtl: caching.data.upgrade_client_ttl, now });
  return [routing, output, cache];
}

export function createDefaultPlanner(config: ConfigDocument = {}, opts: DefaultPlannerOptions = {}): Planner {
  return createPlanner(createDefaultLevers(config, opts));
}
