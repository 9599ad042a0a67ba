/**
 * `clawback demo`: the whole thing on one machine. Starts the API emulator and a gateway with the caching lever and
 * the monitor, issues two virtual keys, sends a realistic mixed workload (a support agent's growing conversation on
 * Sonnet, an FAQ app on Haiku, a code review on Opus re-reading one document, a streamed answer), prints what it
 * cost with clawback and what the same requests would have cost without it, and leaves the dashboard up at a
 * printed URL until Ctrl-C (`--exit` stops after printing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator } from '../emulator/server.js';
import { createCachingLever } from '../levers/caching.js';
import { createPlanner } from '../levers/planner.js';
import { formatUsd, picoToUsd } from '../pricing/money.js';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { LEVERS } from '../store/record.js';
import { startMonitoredGateway } from '../monitor/start.js';
import { bool, int, str, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'port', type: 'int', value: 'N', default: 0, help: 'gateway port (0 picks a free one)' },
  { name: 'emulator-port', type: 'int', value: 'N', default: 0, help: 'emulator port (0 picks a free one)' },
  { name: 'db', type: 'string', value: 'PATH', help: 'keep the usage store here (default: a temporary directory, removed at exit)' },
  { name: 'exit', type: 'bool', help: 'stop after printing instead of keeping the dashboard up' },
];

const WORDS = 'cache token budget invoice agent route model stream prompt answer ticket refund order account shipping policy request latency window summary'.split(' ');
function prose(seed: number, words: number): string {
  let x = seed * 2654435761 % 4294967296;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(WORDS[x % WORDS.length]!);
  }
  return out.join(' ') + '.';
}

type Msg = { role: 'user' | 'assistant'; content: string };

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run emulator + gateway + a sample workload, print the savings, keep the dashboard up',
  synopsis: '[--port 0] [--emulator-port 0] [--db PATH] [--exit] [--json]',
  description: [
    'Starts the local API emulator and a gateway in front of it (caching lever on, budgets and alerts configured),',
    'sends a mixed workload through two virtual keys, and prints what it cost with clawback and without it (the',
    'baseline: the same requests as the clients sent them). The dashboard stays up at the printed URL, admin token',
    'included, until Ctrl-C. Nothing leaves this machine.',
  ].join('\n'),
  flags,
  async run(args, io) {
    const dir = str(args, 'db') === undefined ? mkdtempSync(join(tmpdir(), 'clawback-demo-')) : null;
    const db = str(args, 'db') ?? join(dir!, 'demo.db');
    const token = io.env['CLAWBACK_ADMIN_TOKEN'] || randomBytes(18).toString('base64url');
    const emu = await startEmulator({ port: int(args, 'emulator-port') ?? 0, env: {} });
    const catalog = getDefaultCatalog();
    const gw = await startMonitoredGateway({
      port: int(args, 'port') ?? 0,
      upstream: emu.url,
      db,
      catalog,
      adminToken: token,
      apiKey: 'sk-ant-demo-upstream-key',
      planner: createPlanner([createCachingLever()]),
      env: {},
      log: (l) => io.stderr.write(l + '\n'),
      config: {
        budgets: [
          { name: 'all-daily', limit_usd: '5', period: 'day' },
          { name: 'search-daily', tag: 'team=search', limit_usd: '0.01', period: 'day', mode: 'soft' },
        ],
      },
    });
    const support = gw.monitor.keys.byName('support-bot') ? null : gw.monitor.keys.create({ name: 'support-bot', tags: { team: 'support' }, budget: null }).key;
    const search = gw.monitor.keys.byName('search-app') ? null : gw.monitor.keys.create({ name: 'search-app', tags: { team: 'search' }, budget: null }).key;
    gw.monitor.refreshRules();
    const shutdown = async (): Promise<void> => {
      await gw.close(2_000);
      await emu.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    };
    if (support === null || search === null) {
      await shutdown();
      io.stderr.write('clawback demo: this --db already has the demo keys; use a fresh --db\n');
      return 1;
    }

    const send = async (key: string, body: Record<string, unknown>, session?: string): Promise<string> => {
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': key, ...(session ? { 'x-clawback-session': session } : {}) },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (body['stream'] === true || !res.ok) return '';
      const j = JSON.parse(text) as { content?: { type: string; text?: string }[] };
      return (j.content ?? []).map((c) => c.text ?? '').join('');
    };

    const supportAgent = async (): Promise<void> => {
      const system = `You are the support agent of an online shop. Policies follow. ${prose(1, 1400)}`;
      const messages: Msg[] = [];
      for (let turn = 0; turn < 6; turn++) {
        messages.push({ role: 'user', content: `Customer question ${turn + 1}: ${prose(10 + turn, 40)}` });
        const answer = await send(support, { model: 'claude-sonnet-4-6', max_tokens: 400, system, messages }, 'support-ticket-4711');
        messages.push({ role: 'assistant', content: answer || 'Let me check that for you.' });
      }
    };
    const faq = async (): Promise<void> => {
      for (let i = 0; i < 8; i++) await send(search, { model: 'claude-haiku-4-5', max_tokens: 150, messages: [{ role: 'user', content: `FAQ: ${prose(100 + i, 25)}` }] });
    };
    const review = async (): Promise<void> => {
      const doc = `Design document for the billing service. ${prose(7, 3000)}`;
      for (let i = 0; i < 3; i++) {
        await send(support, { model: 'claude-opus-4-7', max_tokens: 600, system: 'You review design documents.', messages: [{ role: 'user', content: `${doc}\n\nReview question ${i + 1}: ${prose(200 + i, 20)}` }] }, 'design-review');
      }
    };
    const streamed = async (): Promise<void> => {
      await send(search, { model: 'claude-sonnet-4-6', max_tokens: 300, stream: true, messages: [{ role: 'user', content: `Summarise: ${prose(300, 200)}` }] });
    };
    await Promise.all([supportAgent(), faq(), review(), streamed()]);
    await gw.drain();

    const records = await gw.store.query({});
    let cost = 0n;
    let baseline = 0n;
    const byLever = new Map<string, bigint>();
    for (const r of records) {
      cost += r.costPico;
      baseline += r.baselinePico;
      for (const l of LEVERS) {
        const s = r.savingsPico[l];
        if (s !== undefined) byLever.set(l, (byLever.get(l) ?? 0n) + s);
      }
    }
    const saved = baseline - cost;
    const pctSaved = baseline === 0n ? 0 : Number((saved * 10_000n) / baseline) / 100;
    if (bool(args, 'json')) {
      io.stdout.write(
        JSON.stringify({
          requests: records.length,
          cost_usd: picoToUsd(cost),
          baseline_usd: picoToUsd(baseline),
          savings_usd: picoToUsd(saved),
          savings_percent: pctSaved,
          savings_by_lever: Object.fromEntries([...byLever].map(([k, v]) => [k, picoToUsd(v)])),
          cost_pico: cost.toString(),
          baseline_pico: baseline.toString(),
          gateway: gw.url,
          dashboard: gw.dashboardUrl,
        }) + '\n',
      );
    } else {
      io.stdout.write(`clawback demo: ${records.length} requests through ${gw.url} (emulator at ${emu.url})\n`);
      io.stdout.write(`  without clawback  ${formatUsd(baseline, 6).padStart(12)}\n`);
      io.stdout.write(`  with clawback     ${formatUsd(cost, 6).padStart(12)}\n`);
      io.stdout.write(`  saved             ${formatUsd(saved, 6).padStart(12)}  (${pctSaved.toFixed(1)}%)\n`);
      for (const [l, v] of byLever) io.stdout.write(`    ${l.padEnd(15)}${formatUsd(v, 6).padStart(12)}\n`);
      io.stdout.write(`dashboard: ${gw.dashboardUrl}\n`);
    }
    if (bool(args, 'exit')) {
      await shutdown();
      return 0;
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
