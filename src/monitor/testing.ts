/**
 * Test support (not shipped behaviour): an emulator and a monitored gateway in front of it, on free ports, with the
 * usage store and the monitor database in a fresh temporary directory that `close` removes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigDocument } from '../config.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator/server.js';
import { startMonitoredGateway, type MonitoredGateway, type MonitoredGatewayOptions } from './start.js';

export interface Harness {
  readonly emu: RunningEmulator;
  readonly gw: MonitoredGateway;
  readonly dir: string;
  readonly db: string;
  /** Sends POST /v1/messages through the gateway; returns status and parsed JSON body. */
  send(body: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  /** GET with the admin token. */
  admin(path: string): Promise<Response>;
  /** Stops the gateway (keeps the files) and starts a new one on the same store and monitor database. */
  restart(): Promise<MonitoredGateway>;
  close(): Promise<void>;
}

export const TOKEN = 'test-admin-token-0123456789';

export async function startHarness(
  { config = {}, emulator = {}, gateway = {} }: { config?: ConfigDocument; emulator?: EmulatorOptions; gateway?: Partial<MonitoredGatewayOptions> } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-monitor-'));
  const db = join(dir, 'usage.db');
  const emu = await startEmulator({ port: 0, env: {}, ...emulator });
  const start = (): Promise<MonitoredGateway> =>
    startMonitoredGateway({ port: 0, upstream: emu.url, db, state: join(dir, 'monitor.db'), adminToken: TOKEN, apiKey: 'sk-ant-test-upstream', config, env: {}, log: () => undefined, ...gateway });
  let gw: MonitoredGateway;
  try {
    gw = await start();
  } catch (err) {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const h: Harness = {
    emu,
    get gw() {
      return gw;
    },
    dir,
    db,
    async send(body, headers = {}) {
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client', ...headers },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
    admin(path) {
      return fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    },
    async restart() {
      await gw.close(1_000);
      gw = await start();
      return gw;
    },
    async close() {
      await gw.close(1_000);
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export function userMessage(text: string, model = 'claude-sonnet-4-6', maxTokens = 200): Record<string, unknown> {
  return { model, max_tokens: maxTokens, messages: [{ role: 'user', content: text }] };
}
