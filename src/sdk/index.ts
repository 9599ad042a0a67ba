/**
 * clawback in-process: the same levers and metering as the gateway, around the official `@anthropic-ai/sdk` client,
 * without a proxy.
 *
 *   import Anthropic from '@anthropic-ai/sdk';
 *   import { withClawback } from 'clawback/sdk';
 *   const client = withClawback(new Anthropic(), { db: './clawback.db', tags: { team: 'search' } });
 *   await client.messages.create({...});          // planned by the levers, metered into the store
 *   await client.clawback.close();                 // flush and close the store
 *
 * `withClawback` returns a real client of the same class (a copy made with the SDK's own `withOptions`, so the
 * caller's baseURL, key, retries, timeout, fetch and middleware are kept) with clawback's middleware appended
 * last, next to the wire. The original client is left as it was. Per request, `x-clawback-tags`,
 * `x-clawback-session` and `x-clawback-optimize: off` headers are read and stripped before sending.
 */
import Anthropic, { type BaseAnthropic, type ClientOptions } from '@anthropic-ai/sdk';
import { ConfigError } from '../config.js';
import { createDefaultPlanner } from '../levers/defaults.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import type { GatewayHook } from '../gateway/hooks.js';
import type { Monitor } from '../monitor/monitor.js';
import type { UsageStore } from '../store/record.js';
import { clawbackMiddleware } from './middleware.js';
import { checkOptions, DEFAULT_DB, type ClawbackOptions } from './options.js';
import { wrapperStore } from './store.js';

export type { ClawbackOptions } from './options.js';

export interface ClawbackHandle {
  /** The usage store the requests are recorded in. */
  readonly store: UsageStore;
  /** The in-process monitor (budgets, alerts, metrics) when the `monitor` option was given, else null. */
  readonly monitor: Promise<Monitor> | null;
  /** Resolves once every request that has ended is metered and its record is durable in the store. */
  flush(): Promise<void>;
  /** Flushes, then closes the store if the wrapper opened it (a store passed in is only flushed). */
  close(): Promise<void>;
}

export type ClawbackClient<T extends BaseAnthropic> = T & { readonly clawback: ClawbackHandle };

/** Marks clawback's middleware, so a client is never wrapped twice (every request would be metered twice). */
const MARK = Symbol.for('clawback.sdk.middleware');

function warn(message: string): void {
  process.stderr.write(`clawback sdk: ${message}\n`);
}

export function withClawback<T extends BaseAnthropic>(client: T, options: ClawbackOptions = {}): ClawbackClient<T> {
  const o = checkOptions(options);
  if (client.middleware.some((m) => MARK in m)) throw new ConfigError('withClawback: this client already goes through clawback');
  const env = o.env ?? process.env;
  const { store, owned, salt } = wrapperStore(o.db ?? (env['CLAWBACK_DB'] || DEFAULT_DB), o.keySalt, warn);
  const pending = new Set<Promise<void>>();
  const catalog = o.catalog ?? getDefaultCatalog();
  const monitorPath = o.monitor;
  const monitor = monitorPath === undefined ? null : import('../monitor/monitor.js').then(({ createMonitor }) =>
    createMonitor({ store, catalog, config: o.config ?? {}, state: monitorPath, env: { ...env } }));
  monitor?.catch((err: unknown) => warn(`cannot start the monitor, requests fail until it does: ${(err as Error).message}`));
  const hooks: readonly GatewayHook[] | Promise<readonly GatewayHook[]> = monitor ? monitor.then((m) => [m.hook, ...(o.hooks ?? [])]) : (o.hooks ?? []);
  if (hooks instanceof Promise) hooks.catch(() => undefined); // reported above; each request then fails with it
  const middleware = clawbackMiddleware({
    store, salt, pending, warn,
    catalog,
    planner: o.planner ?? createDefaultPlanner(o.config ?? {}),
    tags: o.tags ?? {},
    session: o.session ?? null,
    optimize: o.optimize ?? true,
    storePrompts: o.storePrompts ?? false,
    hooks,
  });
  Object.defineProperty(middleware, MARK, { value: true });
  const wrapped = client.withOptions({ middleware: [...client.middleware, middleware] });
  let closing: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
    await store.flush();
  };
  const handle: ClawbackHandle = {
    store,
    monitor,
    flush,
    close() {
      closing ??= (async () => {
        await flush();
        if (monitor) await monitor.then((m) => m.close(), () => undefined);
        if (owned) await store.close();
      })();
      return closing;
    },
  };
  Object.defineProperty(wrapped, 'clawback', { value: handle, enumerable: false });
  return wrapped as ClawbackClient<T>;
}

/** `withClawback(new Anthropic(clientOptions), clawbackOptions)`. */
export function createClawbackClient(clientOptions: ClientOptions = {}, clawbackOptions: ClawbackOptions = {}): ClawbackClient<Anthropic> {
  return withClawback(new Anthropic(clientOptions), clawbackOptions);
}
