/**
 * `startGateway`: the Anthropic-compatible proxy. A node:http server in front of one keep-alive undici Agent to the
 * upstream; every request under /v1/ is metered into the usage store (see pipeline.ts for the flow). Hooks
 * (hooks.ts) add routes and take part in each request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ConfigDocument } from '../config.js';
import { getDefaultCatalog, type Catalog } from '../pricing/catalog.js';
import type { Planner } from '../levers/planner.js';
import type { UsageStore } from '../store/record.js';
import { openStore } from '../store/open.js';
import { keyHasher } from './attribution.js';
import { createFingerprinter } from './fingerprints.js';
import { matchRoute, type GatewayHook } from './hooks.js';
import { DEFAULT_DB, DEFAULT_HOST, DEFAULT_UPSTREAM, gatewaySection, type GatewaySection } from './options.js';
import { handleProxy, type PipelineEnv } from './pipeline.js';
import { createUpstream } from './upstream.js';

export interface GatewayOptions {
  /** 0 picks a free port. Default: config, else 8787. */
  readonly port?: number;
  readonly host?: string;
  /** Upstream base URL. Default: config, CLAWBACK_UPSTREAM_URL, https://api.anthropic.com. */
  readonly upstream?: string;
  /** SQLite path (':memory:' works) or a postgres:// URL. Default: config, CLAWBACK_DB, ./clawback.db. Ignored when `store` is given. */
  readonly db?: string;
  /** A store to use instead of opening `db` (the gateway then does not close it). */
  readonly store?: UsageStore;
  readonly catalog?: Catalog;
  readonly planner?: Planner;
  readonly hooks?: readonly GatewayHook[];
  /** The config file; its "gateway" section is read (options given here win). */
  readonly config?: ConfigDocument;
  /** A key the gateway sends upstream itself (ANTHROPIC_API_KEY); clients' own keys are then not forwarded. */
  readonly apiKey?: string;
  /** Overrides of the config's "gateway" section (retry policy, timeouts, flushMs, ...). */
  readonly settings?: Partial<GatewaySection>;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningGateway {
  /** e.g. "http://127.0.0.1:8787" */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly upstream: string;
  readonly store: UsageStore;
  readonly server: Server;
  /** Resolves once every request in flight was metered and the store wrote everything queued. */
  drain(): Promise<void>;
  /** Stops accepting requests, waits for those in flight (up to `graceMs`), flushes and closes the store. */
  close(graceMs?: number): Promise<void>;
}

export async function startGateway(opts: GatewayOptions = {}): Promise<RunningGateway> {
  const env = opts.env ?? process.env;
  const section = gatewaySection(opts.config);
  const settings: GatewaySection = { ...section, ...opts.settings };
  const host = opts.host ?? settings.host ?? DEFAULT_HOST;
  const port = opts.port ?? settings.port ?? 8787;
  const upstreamUrl = opts.upstream ?? settings.upstream ?? (env['CLAWBACK_UPSTREAM_URL'] || DEFAULT_UPSTREAM);
  const catalog = opts.catalog ?? getDefaultCatalog();
  const ownStore = opts.store === undefined;
  const store = opts.store ?? (await openStore(opts.db ?? settings.db ?? (env['CLAWBACK_DB'] || DEFAULT_DB), { flushMs: settings.flushMs, retentionDays: settings.retentionDays }));
  const upstream = createUpstream(upstreamUrl, settings);
  // The salt of key hashes: configured, else the store's own (SQLite and Postgres keep one), else per process.
  const salt = settings.keySalt ?? ('keySalt' in store && typeof store.keySalt === 'function' ? String(await (store.keySalt as () => unknown)()) : randomBytes(16).toString('hex'));
  const apiKey = opts.apiKey ?? null;
  const fingerprinter = settings.fingerprintThread ? createFingerprinter() : createFingerprinter({ thread: false });
  await fingerprinter.ready();

  const pipe: PipelineEnv = {
    upstream, store, catalog, planner: opts.planner ?? null, hooks: opts.hooks ?? [], settings, apiKey,
    clientKeys: apiKey !== null && settings.clientKeys ? new Set(settings.clientKeys) : null, hashKey: keyHasher(salt), seenResults: new Set(),
    fingerprinter,
  };

  const inflight = new Set<Promise<void>>();
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = matchRoute(pipe.hooks, req.method ?? 'GET', path);
    const p = route
      ? Promise.resolve()
          .then(() => route.handler(req, res))
          .catch((err: unknown) => {
            process.stderr.write(`clawback gateway: route ${path} failed: ${(err as Error).message}\n`);
            if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
          })
      : handleProxy(pipe, req, res);
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  });
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | null = null;

  const drain = async (): Promise<void> => {
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
    await store.flush();
  };

  return {
    url: `http://${shownHost}:${addr.port}`,
    port: addr.port,
    host: addr.address,
    upstream: upstreamUrl,
    store,
    server,
    drain,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
        await Promise.race([Promise.allSettled([...inflight]).then(() => undefined), grace]);
        server.closeAllConnections();
        await closed;
        await Promise.allSettled([...inflight]);
        for (const h of pipe.hooks) await h.close?.();
        await upstream.close();
        await fingerprinter.close();
        if (ownStore) await store.close();
        else await store.flush();
      })();
      return closing;
    },
  };
}

export { DEFAULT_DB, DEFAULT_UPSTREAM };
