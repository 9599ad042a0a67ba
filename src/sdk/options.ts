/**
 * The SDK wrapper's options, checked once when `withClawback` runs (zod at the boundary; the store, catalog and
 * planner are objects passed through as they are).
 *
 *   db        SQLite path (':memory:' works), postgres:// URL, or an open UsageStore (then the wrapper does not
 *             close it). Default: CLAWBACK_DB, else ./clawback.db — the gateway's default, so both faces share one.
 *   config    the config document (its "levers" section builds the same lever set the gateway runs).
 *   tags      tags for every request (`x-clawback-tags` on a request adds to them and wins on conflict).
 *   session   session id for every request (`x-clawback-session` on a request wins).
 *   optimize  false: run no lever (metering only); `x-clawback-optimize: off` does the same for one request.
 *   monitor   path of the monitor database: budgets and alerts from `config`, enforced in-process.
 *   hooks     gateway hooks run in-process (beforeSend, afterRecord).
 */
import { z } from 'zod';
import type { ConfigDocument } from '../config.js';
import { ConfigError } from '../config.js';
import type { Catalog } from '../pricing/catalog.js';
import type { Planner } from '../levers/planner.js';
import type { UsageStore } from '../store/record.js';
import type { GatewayHook } from '../gateway/hooks.js';
import { parseAlerts } from '../monitor/alert-config.js';
import { parseBudgets } from '../monitor/budget-config.js';

export interface ClawbackOptions {
  readonly db?: string | UsageStore;
  readonly config?: ConfigDocument;
  readonly tags?: Readonly<Record<string, string>>;
  readonly session?: string;
  readonly optimize?: boolean;
  /** Keep the prompt text (system + messages) in the store; off by default, as in the gateway. */
  readonly storePrompts?: boolean;
  /** The price catalog (default: the bundled one). */
  readonly catalog?: Catalog;
  /** A planner to use instead of the default lever set built from `config`. */
  readonly planner?: Planner;
  /** Salt for API-key hashes; default: the one kept in the SQLite store (so gateway and SDK hashes match). */
  readonly keySalt?: string;
  /**
   * Gateway hooks to run in-process: their `beforeSend` (after the levers; may refuse or change the plan) and
   * `afterRecord`. `authenticate` and `routes` do not apply here. E.g. the monitor's hook, for budgets and alerts:
   * `hooks: [(await createMonitor({ store, catalog, config, state })).hook]`.
   */
  readonly hooks?: readonly GatewayHook[];
  /**
   * Path of the monitor database: runs the monitor in-process (budgets and alerts from `config`'s "budgets" and
   * "alerts" sections, rebuilt from the store at start), as the gateway does. Its hook runs before `hooks`.
   */
  readonly monitor?: string;
  /** Where to read CLAWBACK_DB from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const Checked = z.strictObject({
  db: z.union([z.string().min(1), z.custom<UsageStore>(isStore, 'a UsageStore (append, flush, query, close)')]).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string().min(1), z.string()).optional(),
  session: z.string().min(1).optional(),
  optimize: z.boolean().optional(),
  storePrompts: z.boolean().optional(),
  catalog: z.custom<Catalog>((v) => typeof v === 'object' && v !== null && typeof (v as Catalog).tryResolve === 'function', 'a Catalog').optional(),
  planner: z.custom<Planner>((v) => typeof v === 'object' && v !== null && typeof (v as Planner).plan === 'function', 'a Planner').optional(),
  keySalt: z.string().min(8).optional(),
  monitor: z.string().min(1).optional(),
  hooks: z.array(z.custom<GatewayHook>((v) => typeof v === 'object' && v !== null && typeof (v as GatewayHook).name === 'string', 'a GatewayHook')).optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
});

function isStore(v: unknown): v is UsageStore {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return ['append', 'flush', 'query', 'close'].every((k) => typeof s[k] === 'function');
}

/** Validates the options; a bad one throws a ConfigError naming it. */
export function checkOptions(opts: unknown): ClawbackOptions {
  const r = Checked.safeParse(opts ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(`withClawback: invalid option${i && i.path.length ? ` "${i.path.join('.')}"` : ''}: ${i?.message ?? 'invalid'}`);
  }
  const o = opts as ClawbackOptions;
  if (o.monitor !== undefined) {
    // checked now, so a bad budget or alert fails here rather than on the first request
    parseBudgets(o.config?.['budgets']);
    parseAlerts(o.config?.['alerts']);
  }
  return o;
}

export const DEFAULT_DB = './clawback.db';
