/** `clawback calc`: the bill for one request's usage, line by line. */
import { catalogWithOverrides, UnknownModelError } from '../pricing/catalog.js';
import { CostError, priceUsage, type PricedUsage } from '../pricing/cost.js';
import { formatUsd, formatUsdExact, picoToUsd, type Pico } from '../pricing/money.js';
import { configPath, loadConfigFile } from '../config.js';
import { bool, int, str, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'model', type: 'string', value: 'ID', help: 'model id, alias or dated id (e.g. claude-sonnet-4-6); required' },
  { name: 'input', type: 'int', value: 'N', help: 'uncached input tokens (usage.input_tokens); required' },
  { name: 'output', type: 'int', value: 'N', help: 'output tokens, thinking included (usage.output_tokens); required' },
  { name: 'cache-write-5m', type: 'int', value: 'N', default: 0, help: 'tokens written to the 5-minute cache' },
  { name: 'cache-write-1h', type: 'int', value: 'N', default: 0, help: 'tokens written to the 1-hour cache' },
  { name: 'cache-read', type: 'int', value: 'N', default: 0, help: 'tokens read from the cache' },
  { name: 'web-searches', type: 'int', value: 'N', default: 0, help: 'server-side web searches (usage.server_tool_use.web_search_requests)' },
  { name: 'batch', type: 'bool', help: 'price as a Message Batches request (50% off every line)' },
  { name: 'geo', type: 'string', value: 'GEO', help: 'inference_geo, e.g. "us" (1.1x; Claude 4.6 and later only)' },
  { name: 'fast', type: 'bool', help: 'price at fast-mode rates (speed: "fast"; not with --batch)' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file with price overrides (or CLAWBACK_CONFIG)' },
];

function required<T>(name: string, v: T | undefined): T {
  if (v === undefined) throw new UsageError(`calc: --${name} is required (see clawback calc --help)`);
  return v;
}

/** Dollars per million tokens actually charged on a line (cost / tokens), exact to the pico-dollar, for display. */
function perMTok(cost: Pico, tokens: number): string {
  if (tokens === 0) return '-';
  return formatUsdExact((cost * 1_000_000n) / BigInt(tokens));
}

function toJson(p: PricedUsage, requested: string): string {
  const b = p.breakdown;
  return JSON.stringify({
    model: p.model,
    currency: 'USD',
    total_usd: picoToUsd(p.total),
    breakdown: {
      input_usd: picoToUsd(b.input),
      cache_write_5m_usd: picoToUsd(b.cache_write_5m),
      cache_write_1h_usd: picoToUsd(b.cache_write_1h),
      cache_read_usd: picoToUsd(b.cache_read),
      output_usd: picoToUsd(b.output),
      server_tools_usd: picoToUsd(b.server_tools),
    },
    // Exact figures as decimal strings, for whoever sums them.
    total_exact_usd: formatUsdExact(p.total),
    total_pico_usd: p.total.toString(),
    requested_model: requested,
    tokens: p.tokens,
    web_searches: p.webSearches,
    batch: p.batch,
    fast: p.fast,
    inference_geo: p.geo,
    tier_above_prompt_tokens: p.tier,
  });
}

function toTable(p: PricedUsage): string {
  const b = p.breakdown;
  const t = p.tokens;
  const n = (x: number): string => x.toLocaleString('en-US');
  const rows: [string, string, string, string][] = [
    ['input (uncached)', n(t.input), perMTok(b.input, t.input), formatUsd(b.input, 6)],
    ['cache write 5m', n(t.cache_write_5m), perMTok(b.cache_write_5m, t.cache_write_5m), formatUsd(b.cache_write_5m, 6)],
    ['cache write 1h', n(t.cache_write_1h), perMTok(b.cache_write_1h, t.cache_write_1h), formatUsd(b.cache_write_1h, 6)],
    ['cache read', n(t.cache_read), perMTok(b.cache_read, t.cache_read), formatUsd(b.cache_read, 6)],
    ['output', n(t.output), perMTok(b.output, t.output), formatUsd(b.output, 6)],
    ['web searches', n(p.webSearches), '', formatUsd(b.server_tools, 6)],
  ];
  const mods = [
    p.batch ? 'batch: 50% off' : '',
    p.fast ? 'fast mode' : '',
    p.geo ? `inference_geo "${p.geo}"` : '',
    p.tier !== null ? `long-context tier: prompt > ${n(p.tier)} tokens` : '',
  ].filter(Boolean);
  const out = [`${p.model}${mods.length ? ` (${mods.join(', ')})` : ''}`, `  ${'line'.padEnd(18)}${'tokens'.padStart(12)}${'$/MTok'.padStart(12)}${'cost'.padStart(14)}`];
  for (const [k, tok, rate, cost] of rows) out.push(`  ${k.padEnd(18)}${tok.padStart(12)}${rate.padStart(12)}${cost.padStart(14)}`);
  out.push(`  ${'total'.padEnd(42)}${formatUsd(p.total, 6).padStart(14)}`);
  return out.join('\n') + '\n';
}

export const calcCommand: Command = {
  name: 'calc',
  summary: 'price one request from its token counts',
  synopsis: '--model ID --input N --output N [--cache-write-5m N] [--cache-write-1h N] [--cache-read N] [--web-searches N] [--batch] [--geo us] [--fast] [--json]',
  description:
    "Prices one request exactly as the API bills it. The token flags mirror the API's usage fields: --input is\n" +
    'input_tokens, i.e. uncached input only. Long-context tiers (Sonnet 4/4.5 over 200K, Haiku 5.5 over 100K prompt\n' +
    'tokens) apply by themselves. --json prints {"model","currency","total_usd","breakdown":{...}} in USD.',
  flags,
  async run(args, io) {
    const model = required('model', str(args, 'model'));
    const input = required('input', int(args, 'input'));
    const output = required('output', int(args, 'output'));
    if (bool(args, 'fast') && bool(args, 'batch')) throw new UsageError('calc: --fast and --batch cannot be combined (fast mode is not available with the Batch API)');
    const catalog = await catalogWithOverrides(loadConfigFile(configPath(str(args, 'config'), io.env))['pricing']);
    const w5 = int(args, 'cache-write-5m') ?? 0;
    const w1 = int(args, 'cache-write-1h') ?? 0;
    const geo = str(args, 'geo');
    let priced: PricedUsage;
    try {
      priced = priceUsage(
        catalog,
        model,
        {
          input_tokens: input,
          output_tokens: output,
          cache_creation_input_tokens: w5 + w1,
          cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
          cache_read_input_tokens: int(args, 'cache-read') ?? 0,
          server_tool_use: { web_search_requests: int(args, 'web-searches') ?? 0 },
        },
        { batch: bool(args, 'batch'), fast: bool(args, 'fast'), ...(geo !== undefined ? { geo } : {}) },
      );
    } catch (err) {
      // An unknown model or an option the model does not take is a bad flag value: one line, exit 2.
      if (err instanceof UnknownModelError || err instanceof CostError) throw new UsageError(`calc: ${err.message}`);
      throw err;
    }
    io.stdout.write(bool(args, 'json') ? toJson(priced, model) + '\n' : toTable(priced));
    return 0;
  },
};
