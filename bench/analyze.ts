/**
 * bench:analyze — `clawback analyze --json` against ccusage 20.0.24 (`ccusage daily --json --offline`) on the same
 * generated Claude Code logs (200,000 lines, 40 files, ~130 MB by default), runs alternating, several each, wall
 * time and peak memory (RSS) from /usr/bin/time -v; then the totals compared to the cent, every difference
 * attributed to the rule that decides it by re-pricing the logs under each of ccusage's rules in turn.
 *
 *   npm run build && npm run bench:analyze [-- --lines N --files N --runs N --keep]
 *
 * ccusage is installed into the temp folder with `npm install --prefix` (never a project dependency).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../src/pricing/catalog-load.js';
import { priceUsage } from '../src/pricing/cost.js';
import { picoToUsd, type Pico } from '../src/pricing/money.js';
import type { Usage } from '../src/pricing/usage.js';
import { generateLogs } from './analyze-logs.js';

const CCUSAGE = 'ccusage@20.0.24';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

interface Run {
  readonly wallMs: number;
  /** User + system CPU seconds: steadier than wall time on a shared machine. */
  readonly cpuS: number;
  readonly rssMb: number;
  readonly stdout: string;
}

function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeFile: string): Run {
  const timed = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = timed
    ? spawnSync('/usr/bin/time', ['-v', '-o', timeFile, cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  let rss = NaN;
  let wallMs = wall;
  let cpuS = NaN;
  if (timed) {
    const v = readFileSync(timeFile, 'utf8');
    cpuS = Number(/User time \(seconds\): ([\d.]+)/.exec(v)?.[1] ?? NaN) + Number(/System time \(seconds\): ([\d.]+)/.exec(v)?.[1] ?? NaN);
    rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(v)?.[1] ?? NaN) / 1024;
    const e = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(v);
    if (e) wallMs = (Number(e[1] ?? 0) * 3600 + Number(e[2]) * 60 + Number(e[3])) * 1000;
  }
  return { wallMs, cpuS, rssMb: rss, stdout: r.stdout };
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

interface Resp {
  first: { usage: Usage; model: string };
  final: { usage: Usage; model: string };
}

/** Every billed response in the logs: its first line (what ccusage keeps) and its largest-output line (clawback's). */
async function responses(root: string): Promise<Resp[]> {
  const byKey = new Map<string, Resp>();
  const loose: Resp[] = [];
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.jsonl')).sort();
  for (const f of files) {
    for await (const line of createInterface({ input: createReadStream(join(root, f), 'utf8'), crlfDelay: Infinity })) {
      if (!line.includes('"usage"')) continue;
      let o: { type?: string; requestId?: string; message?: { id?: string; model?: string; usage?: Usage } };
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        continue;
      }
      const m = o.message;
      if (o.type !== 'assistant' || !m?.usage || !m.model) continue;
      const entry = { usage: m.usage, model: m.model };
      if (!m.id || !o.requestId) {
        loose.push({ first: entry, final: entry });
        continue;
      }
      const k = `${m.id}:${o.requestId}`;
      const r = byKey.get(k);
      if (!r) byKey.set(k, { first: entry, final: entry });
      else if ((m.usage.output_tokens ?? 0) > (r.final.usage.output_tokens ?? 0)) r.final = entry;
    }
  }
  return [...byKey.values(), ...loose];
}

const noIterations = (u: Usage): Usage => ({ ...u, iterations: [] });
const oneHourAs5m = (u: Usage): Usage => {
  const w = (u.cache_creation?.ephemeral_5m_input_tokens ?? 0) + (u.cache_creation?.ephemeral_1h_input_tokens ?? 0);
  return { ...u, cache_creation: { ephemeral_5m_input_tokens: w || (u.cache_creation_input_tokens ?? 0), ephemeral_1h_input_tokens: 0 } };
};

async function main(): Promise<void> {
  const lines = flag('lines', 200_000);
  const files = flag('files', 40);
  const runs = flag('runs', 3);
  const dir = mkdtempSync(join(tmpdir(), 'clawback-bench-analyze-'));
  const logs = join(dir, 'claude');
  try {
    const gen = generateLogs(join(logs, 'projects'), { lines, files, bytesPerLine: 640 });
    console.log(`logs: ${gen.lines.toLocaleString('en-US')} lines, ${files} files, ${(gen.bytes / 1e6).toFixed(1)} MB (1h writes, duplicate lines, subagents, compaction iterations, a model alias, malformed lines)`);
    const prefix = join(dir, 'ccusage');
    const inst = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', CCUSAGE], { encoding: 'utf8' });
    if (inst.status !== 0) throw new Error(`npm install ${CCUSAGE} failed: ${inst.stderr}`);
    const ccusage = join(prefix, 'node_modules', '.bin', 'ccusage');
    const clawback = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const env = { ...process.env, CLAUDE_CONFIG_DIR: logs, NO_COLOR: '1' };
    const timeFile = join(dir, 'time.txt');
    const results: Record<'clawback' | 'ccusage', Run[]> = { clawback: [], ccusage: [] };
    for (let i = 0; i < runs; i++) {
      // alternate which goes first, so neither always runs with a warm page cache
      const order: ('clawback' | 'ccusage')[] = i % 2 === 0 ? ['ccusage', 'clawback'] : ['clawback', 'ccusage'];
      for (const tool of order) {
        results[tool].push(tool === 'ccusage' ? measure(ccusage, ['daily', '--json', '--offline'], env, timeFile) : measure(process.execPath, [clawback, 'analyze', '--json'], env, timeFile));
      }
    }
    console.log(`\n${'tool'.padEnd(44)}${'median wall'.padStart(12)}${'min wall'.padStart(10)}${'median CPU'.padStart(11)}${'peak RSS'.padStart(10)}   runs: wall s`);
    for (const [name, rs] of Object.entries(results)) {
      const label = name === 'ccusage' ? `${CCUSAGE} daily --json --offline` : 'clawback analyze --json';
      console.log(`${label.padEnd(44)}${(median(rs.map((r) => r.wallMs)) / 1000).toFixed(2).padStart(11)}s${(Math.min(...rs.map((r) => r.wallMs)) / 1000).toFixed(2).padStart(9)}s${median(rs.map((r) => r.cpuS)).toFixed(2).padStart(10)}s${Math.max(...rs.map((r) => r.rssMb)).toFixed(0).padStart(7)} MB   ${rs.map((r) => (r.wallMs / 1000).toFixed(2)).join(' ')}`);
    }
    const cw = median(results.clawback.map((r) => r.wallMs));
    const cc = median(results.ccusage.map((r) => r.wallMs));
    const cm = Math.max(...results.clawback.map((r) => r.rssMb));
    const um = Math.max(...results.ccusage.map((r) => r.rssMb));
    const cpuRatio = median(results.clawback.map((r) => r.cpuS)) / median(results.ccusage.map((r) => r.cpuS));
    console.log(`targets: time ${cw <= cc ? 'MET' : 'MISSED'} (clawback/ccusage ${(cw / cc).toFixed(2)}x wall, ${cpuRatio.toFixed(2)}x CPU), memory ${cm <= 2 * um ? 'MET' : 'MISSED'} (${(cm / um).toFixed(2)}x of ccusage, limit 2x)`);

    // totals to the cent, and the rule behind each difference
    const ours = JSON.parse(results.clawback[0]!.stdout) as { totals: { cost_usd: number; cost_pico_usd: string; input_tokens: number; output_tokens: number; cache_creation_tokens: number; cache_read_tokens: number } };
    const theirs = JSON.parse(results.ccusage[0]!.stdout) as { totals: { totalCost: number; inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number } };
    console.log('\ntotals            clawback          ccusage       difference');
    const row = (k: string, a: number, b: number, money = false): void => console.log(`${k.padEnd(16)}${(money ? a.toFixed(2) : String(a)).padStart(12)}${(money ? b.toFixed(2) : String(b)).padStart(17)}${(money ? (a - b).toFixed(2) : String(a - b)).padStart(17)}`);
    row('cost USD', ours.totals.cost_usd, theirs.totals.totalCost, true);
    row('input', ours.totals.input_tokens, theirs.totals.inputTokens);
    row('output', ours.totals.output_tokens, theirs.totals.outputTokens);
    row('cache write', ours.totals.cache_creation_tokens, theirs.totals.cacheCreationTokens);
    row('cache read', ours.totals.cache_read_tokens, theirs.totals.cacheReadTokens);

    const catalog = loadCatalog();
    const all = await responses(join(logs, 'projects'));
    const cost = (pick: (r: Resp) => { usage: Usage; model: string }, adjust: (u: Usage) => Usage = (u) => u): Pico => {
      let t = 0n;
      for (const r of all) {
        const p = pick(r);
        if (catalog.tryResolve(p.model)) t += priceUsage(catalog, p.model, adjust(p.usage)).total;
      }
      return t;
    };
    const base = cost((r) => r.final);
    console.log(`\nre-priced here with clawback's rules: $${picoToUsd(base).toFixed(2)} (${base.toString() === ours.totals.cost_pico_usd ? 'equals' : 'DIFFERS FROM'} clawback analyze's total)`);
    // Each rule where ccusage may differ, as a transformation; the subset that reproduces ccusage's total to the
    // cent is the explanation (each rule's own effect is printed beside it).
    const rules: { name: string; first: boolean; adjust: (u: Usage) => Usage }[] = [
      { name: 'dedupe keeps the FIRST line of a response (message_start output count), not the final one', first: true, adjust: (u) => u },
      { name: 'usage.iterations (compaction steps) not billed', first: false, adjust: noIterations },
      { name: '1h cache writes priced at the 5m rate (1.25x input instead of 2x)', first: false, adjust: oneHourAs5m },
    ];
    const theirsPico = BigInt(Math.round(theirs.totals.totalCost * 100)) * 10_000_000_000n;
    const cents = (p: Pico): bigint => (p + 5_000_000_000n) / 10_000_000_000n;
    let explained: string[] | null = null;
    for (let mask = 0; mask < 1 << rules.length; mask++) {
      const on = rules.filter((_, i) => mask & (1 << i));
      const c = cost((r) => (on.some((x) => x.first) ? r.first : r.final), (u) => on.reduce((acc, x) => x.adjust(acc), u));
      if (cents(c) * 10_000_000_000n === theirsPico && explained === null) explained = on.map((x) => x.name);
      if (on.length === 1) console.log(`  effect ${picoToUsd(c - base).toFixed(2).padStart(10)} USD  ${on[0]!.name}`);
    }
    if (explained === null) console.log(`no combination of these rules reproduces ccusage's $${theirs.totals.totalCost.toFixed(2)}: the rest is price data or rules not modelled here`);
    else if (explained.length === 0) console.log('ccusage and clawback agree to the cent');
    else console.log(`ccusage's total is reproduced to the cent by applying ${explained.length === 1 ? 'this rule' : 'these rules'} to clawback's pricing (the difference is ccusage's):\n${explained.map((e) => `  - ${e}`).join('\n')}`);
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
