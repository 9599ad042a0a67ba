/**
 * `clawback demo`: the whole thing on one machine. Starts the API emulator and a gateway exactly as `clawback
 * gateway` runs it (the default levers + the monitor), with routing and output budgets in enforce mode (`--observe`:
 * the shipped defaults, where both only observe), issues virtual keys, sends a realistic mixed workload
 * (demo-workload.ts: support chats, agent sessions, questions over a shared document, short-form requests, reports
 * with an oversized max_tokens) on a manual clock, prints what it cost with clawback and what the same requests would
 * have cost without it (all from the usage records, demo-summary.ts), and leaves the dashboard up at a printed URL
 * until Ctrl-C (`--exit` stops after printing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../emulator/clock.js';
import { startEmulator } from '../emulator/server.js';
import { createDefaultPlanner } from '../levers/defaults.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import type { LeverName } from '../store/record.js';
import { startMonitoredGateway } from '../monitor/start.js';
import { bool, int, str, type FlagSpec } from './args.js';
import type { Command } from './command.js';
import { DEMO_SCENARIOS, demoWorkload, REPORT_TAIL, type DemoClient, type DemoPart } from './demo-workload.js';
import { summarize, summaryJson, summaryText } from './demo-summary.js';

const flags: readonly FlagSpec[] = [
  { name: 'port', type: 'int', value: 'N', default: 0, help: 'gateway port (0 picks a free one)' },
  { name: 'emulator-port', type: 'int', value: 'N', default: 0, help: 'emulator port (0 picks a free one)' },
  { name: 'db', type: 'string', value: 'PATH', help: 'keep the usage store here (default: a temporary directory, removed at exit)' },
  { name: 'observe', type: 'bool', help: 'run the shipped lever defaults (routing and output budgets only observe) instead of enforcing them' },
  { name: 'exit', type: 'bool', help: 'stop after printing instead of keeping the dashboard up' },
];

const CLIENT_TAGS: Record<DemoClient, Record<string, string>> = {
  'support-bot': { team: 'support' },
  'coding-agent': { team: 'platform' },
  'search-app': { team: 'search' },
};

/** The demo's "levers" config section: the shipped defaults, with routing and output budgets enforcing unless observing. */
export function demoLeversConfig(observe: boolean): Record<string, unknown> {
  return {
    caching: { mode: 'enforce' },
    routing: { mode: observe ? 'observe' : 'enforce' },
    // The reports end with a stop sequence the client forgot to send; this output route adds it.
    output: {
      mode: observe ? 'observe' : 'enforce',
      routes: [{ name: 'reports', match: { pattern: `End your answer with ${REPORT_TAIL}`, on: 'system' }, stop_sequences: [REPORT_TAIL] }],
    },
  };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run emulator + gateway + a sample workload, print the savings, keep the dashboard up',
  synopsis: '[--port 0] [--emulator-port 0] [--db PATH] [--observe] [--exit] [--json]',
  description: [
    'Starts the local API emulator and a gateway in front of it, as `clawback gateway` runs it (default levers and',
    'the monitor), with routing and output budgets in enforce mode (--observe: the shipped defaults, where they only',
    'observe and the output says what they would have saved). Sends a mixed workload through three virtual keys',
    '(support chats, coding-agent sessions, questions over a shared document, short-form requests, reports asked with',
    'an oversized max_tokens) on a simulated clock, and prints what it cost with clawback and without it (the',
    'baseline: the same requests as the clients sent them), per lever, and the cache hit rate. The dashboard stays up',
    'at the printed URL, admin token included, until Ctrl-C. Nothing leaves this machine.',
  ].join('\n'),
  flags,
  async run(args, io) {
    const observe = bool(args, 'observe');
    const dir = str(args, 'db') === undefined ? mkdtempSync(join(tmpdir(), 'clawback-demo-')) : null;
    const db = str(args, 'db') ?? join(dir!, 'demo.db');
    const token = io.env['CLAWBACK_ADMIN_TOKEN'] || randomBytes(18).toString('base64url');
    // Minutes of traffic in seconds: the emulator's cache TTLs and the levers' reuse gaps read this clock.
    const clock = new ManualClock(Date.now());
    const start = clock.now();
    const emu = await startEmulator({ port: int(args, 'emulator-port') ?? 0, env: {}, clock, scenarios: [...DEMO_SCENARIOS] });
    const config = {
      levers: demoLeversConfig(observe),
      budgets: [
        { name: 'all-daily', limit_usd: '50', period: 'day' },
        { name: 'search-daily', tag: 'team=search', limit_usd: '0.5', period: 'day', mode: 'soft' },
      ],
    };
    const planner = createDefaultPlanner(config, { now: () => clock.now() });
    const modes: Partial<Record<LeverName, string>> = Object.fromEntries(planner.levers.map((l) => [l.name, l.mode]));
    const gw = await startMonitoredGateway({
      port: int(args, 'port') ?? 0,
      upstream: emu.url,
      db,
      catalog: getDefaultCatalog(),
      adminToken: token,
      apiKey: 'sk-ant-demo-upstream-key',
      planner,
      env: {},
      log: (l) => io.stderr.write(l + '\n'),
      config,
    });
    const shutdown = async (): Promise<void> => {
      await gw.close(2_000);
      await emu.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    };
    const keys = new Map<DemoClient, string>();
    for (const [name, tags] of Object.entries(CLIENT_TAGS) as [DemoClient, Record<string, string>][]) {
      if (gw.monitor.keys.byName(name)) {
        await shutdown();
        io.stderr.write('clawback demo: this --db already has the demo keys; use a fresh --db\n');
        return 1;
      }
      keys.set(name, gw.monitor.keys.create({ name, tags, budget: null }).key);
    }
    gw.monitor.refreshRules();

    const steps = demoWorkload();
    let failed = 0;
    const partOf = new Map<string, DemoPart>();
    for (const step of steps) {
      clock.set(start + step.at);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': keys.get(step.client)! };
      if (step.session !== null) headers['x-clawback-session'] = step.session;
      const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(step.body) });
      const text = await res.text();
      const id = res.headers.get('x-clawback-request-id');
      if (id !== null) partOf.set(id, step.part);
      if (!res.ok && failed++ === 0) io.stderr.write(`clawback demo: a ${step.part} request failed: ${res.status} ${text.slice(0, 200)}\n`);
    }
    await gw.drain();

    const s = summarize(await gw.store.query({}), partOf);
    const enforcing = observe ? 'caching enforces; routing and output budgets only observe (the shipped defaults)' : 'caching, routing and output budgets enforce (--observe runs the shipped defaults, where routing and output only observe)';
    if (bool(args, 'json')) {
      io.stdout.write(JSON.stringify({ ...summaryJson(s), failed, lever_modes: modes, gateway: gw.url, dashboard: gw.dashboardUrl }) + '\n');
    } else {
      io.stdout.write(`clawback demo: ${s.requests} requests through ${gw.url} (emulator at ${emu.url}); ${Math.round((clock.now() - start) / 60_000)} simulated minutes\n`);
      io.stdout.write(`  levers: ${enforcing}\n`);
      for (const line of summaryText(s, modes)) io.stdout.write(line + '\n');
      if (failed > 0) io.stdout.write(`  ${failed} request${failed === 1 ? '' : 's'} failed (see above)\n`);
      io.stdout.write(`dashboard: ${gw.dashboardUrl}\n`);
    }
    if (bool(args, 'exit')) {
      await shutdown();
      return failed > 0 ? 1 : 0;
    }
    io.stderr.write('the dashboard stays up; Ctrl-C to stop\n');
    return new Promise<number>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        shutdown().then(() => resolve(0), () => resolve(1));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
