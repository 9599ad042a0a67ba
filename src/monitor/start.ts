/**
 * A gateway with the monitor plugged in: what `clawback gateway` and `clawback demo` run. Opens the usage store
 * (the monitor reads it at start to rebuild budgets), creates the monitor, starts the gateway with the monitor's
 * hook after any others, and closes them in the right order. Refuses a non-loopback bind without an admin token.
 */
import { getDefaultCatalog, type Catalog } from '../pricing/catalog.js';
import { openStore } from '../store/open.js';
import type { UsageStore } from '../store/record.js';
import type { GatewayHook } from '../gateway/hooks.js';
import { DEFAULT_DB, DEFAULT_HOST, gatewaySection } from '../gateway/options.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../gateway/server.js';
import { createMonitor, type Monitor, type MonitorOptions } from './monitor.js';
import { stateDbPath } from './state-db.js';

export interface MonitoredGatewayOptions extends GatewayOptions {
  /** Monitor database path (default: see state-db.ts). */
  readonly state?: MonitorOptions['state'];
  /** Default: CLAWBACK_ADMIN_TOKEN. */
  readonly adminToken?: string | null;
  readonly requireVirtualKey?: MonitorOptions['requireVirtualKey'];
  readonly log?: (line: string) => void;
}

export interface MonitoredGateway extends RunningGateway {
  readonly monitor: Monitor;
  /** The dashboard URL, with `?token=` when an admin token is set (opening it once sets the session cookie). */
  readonly dashboardUrl: string;
}

export async function startMonitoredGateway(opts: MonitoredGatewayOptions = {}): Promise<MonitoredGateway> {
  const env = opts.env ?? process.env;
  const section = gatewaySection(opts.config);
  const host = opts.host ?? section.host ?? DEFAULT_HOST;
  const adminToken = opts.adminToken !== undefined ? opts.adminToken : env['CLAWBACK_ADMIN_TOKEN'] || null;
  const catalog: Catalog = opts.catalog ?? getDefaultCatalog();
  const dbSpec = opts.db ?? section.db ?? (env['CLAWBACK_DB'] || DEFAULT_DB);
  const ownStore = opts.store === undefined;
  const store: UsageStore = opts.store ?? (await openStore(dbSpec, { flushMs: section.flushMs, retentionDays: section.retentionDays }));
  let monitor: Monitor;
  try {
    monitor = await createMonitor({
      store,
      catalog,
      config: opts.config ?? {},
      adminToken,
      state: opts.state ?? stateDbPath(dbSpec, env),
      apiKey: opts.apiKey ?? null,
      host,
      env,
      ...(opts.requireVirtualKey !== undefined ? { requireVirtualKey: opts.requireVirtualKey } : {}),
      ...(opts.log !== undefined ? { log: opts.log } : {}),
    });
  } catch (err) {
    if (ownStore) await store.close();
    throw err;
  }
  const hooks: GatewayHook[] = [...(opts.hooks ?? []), monitor.hook];
  let gw: RunningGateway;
  try {
    gw = await startGateway({ ...opts, catalog, store, hooks });
  } catch (err) {
    await monitor.close();
    if (ownStore) await store.close();
    throw err;
  }
  const dashboardUrl = `${gw.url}/clawback/${adminToken ? `?token=${encodeURIComponent(adminToken)}` : ''}`;
  return {
    ...gw,
    monitor,
    dashboardUrl,
    drain: () => gw.drain(),
    async close(graceMs?: number) {
      await gw.close(graceMs); // closes the hooks (the monitor) too
      if (ownStore) await store.close();
    },
  };
}
