/**
 * The config file's "alerts" section: budget thresholds (percent of each budget), the spend-rate spike rule and the
 * webhook they are delivered to. Every alert is also written to the gateway's log.
 *
 *   "alerts": {
 *     "thresholds": [50, 80, 100],
 *     "webhook": { "url": "https://hooks.example.com/clawback", "retries": 3, "timeout_ms": 5000 },
 *     "spike": { "factor": 5, "window_minutes": 5, "baseline_minutes": 60, "min_usd_per_hour": "1" }
 *   }
 */
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { usdToPico } from '../pricing/money.js';

const Usd = z.union([z.string(), z.number().nonnegative()]).transform((v, ctx) => {
  try {
    return usdToPico(typeof v === 'number' ? String(v) : v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be a dollar amount such as "1" or "0.50" (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
});

export const AlertsSectionSchema = z
  .object({
    thresholds: z.array(z.number().positive().max(1000)).default([50, 80, 100]),
    webhook: z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        retries: z.number().int().min(0).max(10).default(3),
        timeout_ms: z.number().int().positive().max(60_000).default(5000),
        backoff_ms: z.number().int().nonnegative().max(60_000).default(500),
      })
      .strict()
      .optional(),
    spike: z
      .object({
        enabled: z.boolean().default(true),
        factor: z.number().gt(1).default(5),
        window_minutes: z.number().int().positive().max(1440).default(5),
        baseline_minutes: z.number().int().positive().max(10_080).default(60),
        min_usd_per_hour: Usd.default(usdToPico('1')),
      })
      .strict()
      .default({ enabled: true, factor: 5, window_minutes: 5, baseline_minutes: 60, min_usd_per_hour: usdToPico('1') }),
  })
  .strict()
  .default({ thresholds: [50, 80, 100], spike: { enabled: true, factor: 5, window_minutes: 5, baseline_minutes: 60, min_usd_per_hour: usdToPico('1') } });

export type AlertsConfig = z.output<typeof AlertsSectionSchema>;

export function parseAlerts(raw: unknown, where = 'alerts'): AlertsConfig {
  const r = AlertsSectionSchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues
        .slice(0, 5)
        .map((i) => `${where}${i.path.length ? '.' + i.path.map(String).join('.') : ''}: ${i.message}`)
        .join('; '),
    );
  }
  return { ...r.data, thresholds: [...new Set(r.data.thresholds)].sort((a, b) => a - b) };
}
