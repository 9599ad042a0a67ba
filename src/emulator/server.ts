/**
 * The Anthropic API emulator: a node:http server that behaves like the Claude API in everything that decides cost
 * (validation, prompt caching, usage, streaming, batches, errors, admin reports). `startEmulator()` runs one;
 * `clawback emulate` is the CLI around it. Every response carries `request-id`; every error body is
 * `{"type":"error","error":{"type","message"},"request_id"}`.
 *
 * Debug routes (not part of the API): GET /_emulator/ledger (every billed request, costs as strings),
 * DELETE /_emulator/ledger (empty it), DELETE /_emulator/cache (drop every prompt-cache entry).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDefaultCatalog, type Catalog } from '../pricing/catalog.js';
import { ApiError, newRequestId } from '../wire/errors.js';
import { costReport, usageReport } from './admin-reports.js';
import { BatchStore } from './batches.js';
import { systemClock, type Clock } from './clock.js';
import { FaultInjector, type FaultConfig } from './faults.js';
import { apiKeyOf, MB, parseJsonBody, readBody, sendError, sendJson } from './http.js';
import { hashApiKey, Ledger } from './ledger.js';
import { handleCountTokens, handleMessages, type Caller, type EmulatorContext, type Latency } from './messages.js';
import { getModel, listModels } from './models.js';
import { PromptCacheStore } from './prompt-cache.js';
import { loadScenarioFile, parseScenarios, type Scenario, type ScenarioInput } from './scenarios.js';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly catalog?: Catalog;
  readonly clock?: Clock;
  /** Scripted answers, or the path of a scenario file (see scenarios.ts). */
  readonly scenarios?: readonly ScenarioInput[] | string;
  /** Faults to inject (see faults.ts); CLAWBACK_EMULATOR_FAULT in `env` adds more. */
  readonly faults?: FaultConfig;
  /** How long a batch takes to process, on `clock` (default 0: done at the first look after creation). */
  readonly batchProcessingMs?: number;
  readonly latency?: Partial<Latency>;
  /** API key -> workspace id (cache isolation, admin reports). Other keys use the default workspace. */
  readonly workspaces?: Readonly<Record<string, string>>;
  /** Reject keys not listed in `workspaces` with 401 (default: any non-empty key is accepted). */
  readonly requireKnownKeys?: boolean;
  /** Environment read for CLAWBACK_EMULATOR_FAULT (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningEmulator {
  readonly url: string;
  close(): Promise<void>;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly cache: PromptCacheStore;
}

export const DEFAULT_WORKSPACE = 'default';

function resolveScenarios(s: EmulatorOptions['scenarios']): Scenario[] {
  if (s === undefined) return [];
  return typeof s === 'string' ? loadScenarioFile(s) : parseScenarios(s);
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = '127.0.0.1', catalog = getDefaultCatalog(), clock = systemClock, batchProcessingMs = 0, workspaces = {}, requireKnownKeys = false, env = process.env } = opts;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`startEmulator: port must be 0-65535 (got ${port})`);
  if (!Number.isFinite(batchProcessingMs) || batchProcessingMs < 0) throw new RangeError('startEmulator: batchProcessingMs must be >= 0');
  const ctx: EmulatorContext = {
    catalog,
    clock,
    cache: new PromptCacheStore(),
    ledger: new Ledger(catalog),
    scenarios: resolveScenarios(opts.scenarios),
    faults: new FaultInjector(opts.faults, env['CLAWBACK_EMULATOR_FAULT']),
    latency: { firstByteMs: opts.latency?.firstByteMs ?? 0, perTokenMs: opts.latency?.perTokenMs ?? 0 },
  };
  const batches = new BatchStore(ctx, batchProcessingMs);
  let served = 0;

  function caller(req: IncomingMessage): Caller {
    const key = apiKeyOf(req);
    if (key === null) throw new ApiError('authentication_error', 'x-api-key header is required');
    const ws = workspaces[key];
    if (ws === undefined && requireKnownKeys) throw new ApiError('authentication_error', 'invalid x-api-key');
    return { apiKeyHash: hashApiKey(key), workspace: ws ?? DEFAULT_WORKSPACE };
  }

  async function jsonBody(req: IncomingMessage, limitMb: number): Promise<unknown> {
    const buf = await readBody(req, limitMb * MB);
    if (buf === null) throw new ApiError('request_too_large', `Request exceeds the maximum allowed number of bytes (${limitMb} MB).`);
    return parseJsonBody(buf);
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    batches.tick();
    // Keep a long-running emulator's prompt cache bounded: drop expired entries now and then.
    if (++served % 512 === 0) ctx.cache.prune(clock.now());

    if ((method === 'HEAD' || method === 'GET') && (path === '/' || path === '/api/hello')) {
      if (method === 'GET') return sendJson(res, 200, { ok: true, emulator: 'clawback' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
      return;
    }
    if (path === '/_emulator/ledger') {
      if (method === 'DELETE') ctx.ledger.reset();
      sendJson(res, 200, method === 'DELETE' ? { ok: true } : ctx.ledger.toJSON());
      return;
    }
    if (path === '/_emulator/cache' && method === 'DELETE') {
      ctx.cache.clear();
      sendJson(res, 200, { ok: true });
      return;
    }
    if (!path.startsWith('/v1/')) throw new ApiError('not_found_error', `Not found: ${method} ${path}`);
    const who = caller(req);

    if (method === 'POST' && path === '/v1/messages') return handleMessages(ctx, req, res, await jsonBody(req, 32), requestId, who);
    if (method === 'POST' && path === '/v1/messages/count_tokens') return handleCountTokens(ctx, res, await jsonBody(req, 32));
    if (method === 'GET' && path === '/v1/models') return sendJson(res, 200, listModels(catalog, url.searchParams));
    const model = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (method === 'GET' && model?.[1]) return sendJson(res, 200, getModel(catalog, decodeURIComponent(model[1])));

    const base = `http://${req.headers.host ?? `${host}:${port}`}`;
    if (path === '/v1/messages/batches') {
      if (method === 'POST') return sendJson(res, 200, batches.create(await jsonBody(req, 256), who, base));
      if (method === 'GET') return sendJson(res, 200, batches.list(who, url.searchParams, base));
    }
    const b = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
    if (b?.[1]) {
      const id = decodeURIComponent(b[1]);
      if (method === 'GET' && b[2] === undefined) return sendJson(res, 200, batches.view(batches.get(id, who), base));
      if (method === 'POST' && b[2] === '/cancel') return sendJson(res, 200, batches.cancel(id, who, base));
      if (method === 'DELETE' && b[2] === undefined) return sendJson(res, 200, batches.remove(id, who));
      if (method === 'GET' && b[2] === '/results') {
        const text = batches.results(id, who);
        // As the API serves them (maintainer comment, anthropics/anthropic-sdk-ruby#208, Aug 2026).
        res.writeHead(200, { 'content-type': 'application/x-jsonl', 'content-disposition': `attachment; filename*=utf-8''${id}_results.jsonl`, 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
    }
    if (method === 'GET' && path === '/v1/organizations/usage_report/messages') return sendJson(res, 200, usageReport(ctx.ledger, url.searchParams, clock.now()));
    if (method === 'GET' && path === '/v1/organizations/cost_report') return sendJson(res, 200, costReport(ctx.ledger, catalog, url.searchParams, clock.now()));
    throw new ApiError('not_found_error', `Not found: ${method} ${path}`);
  }

  const server = createServer((req, res) => {
    const requestId = newRequestId();
    res.setHeader('request-id', requestId);
    res.setHeader('anthropic-organization-id', 'org-emulator');
    route(req, res, requestId).catch((err: unknown) => {
      if (err instanceof ApiError) return sendError(res, err, requestId);
      process.stderr.write(`clawback emulator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      sendError(res, new ApiError('api_error', 'Internal server error'), requestId);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => (server.off('error', reject), resolve()));
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${addr.port}`,
    ledger: ctx.ledger,
    clock,
    cache: ctx.cache,
    close: () =>
      new Promise<void>((resolve) => {
        batches.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
