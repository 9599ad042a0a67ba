/** `clawback calc`: the bill for one request's usage, line by line. */
import { loadCatalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import { formatUsd, picoToUsd } from '../pricing/money.js';
import { configPath, loadConfigFile } from '../config.js';
import { bool, int, str, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'model', type: 'string', value: 'ID', help: 'model id, alias or dated id (e.g. claude-sonnet-4-6)' },
  { name: 'input', type: 'int', value: 'N', help: 'uncached input tokens (usage.input_tokens)' },
  { name: 'output', type: 'int', value: 'N', help: 'output tokens (usage.output_tokens)' },
  { name: 'cache-write-5m', type: 'int', value: 'N', default: 0, help: 'tokens written to the 5-minute cache' },
  { name: 'cache-write-1h', type: 'int', value: 'N', default: 0, help: 'tokens written to the 1-hour cache' },
  { name: 'cache-read', type: 'int', value: 'N', default: 0, help: 'tokens read from the cache' },
  { name: 'web-searches', type: 'int', value: 'N', default: 0, help: 'server-side web searches' },
  { name: 'batch', type: 'bool', help: 'price as a Message Batches request (50% off every line)' },
  { name: 'geo', type: 'string', value: 'GEO', help: 'inference_geo, e.g. "us" (1.1x on models that support it)' },
  { name: 'fast', type: 'bool', help: 'price at fast-mode rates (speed: "fast")' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file with price overrides (or CLAWBACK_CONFIG)' },
];

export const calcCommand: Command = {
  name: 'calc',
  summary: 'price one request from its token counts',
  synopsis: '--model ID --input N --output N [--cache-write-5m N] [--cache-write-1h N] [--cache-read N] [--batch] [--geo us] [--fast] [--json]',
  description: 'Prices one request exactly as the API bills it. The token flags mirror the API\'s usage fields: --input is\ninput_tokens, i.e. uncached input only. Long-context tiers apply by themselves when the prompt exceeds them.',
  flags,
  async run(args, io) {
    const model = str(args, 'model');
    const input = int(args, 'input');
    const output = int(args, 'output');
    if (model === undefined) throw new UsageError('calc: --model is required');
    if (input === undefined) throw new UsageError('calc: --input is required');
    if (output === undefined) throw new UsageError('calc: --output is required');
    const cfg = loadConfigFile(configPath(str(args, 'config'), io.env));
    const catalog = loadCatalog({ overrides: cfg['pricing'] });
    const w5 = int(args, 'cache-write-5m') ?? 0;
    const w1 = int(args, 'cache-write-1h') ?? 0;
    const geo = str(args, 'geo');
    const priced = priceUsage(
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
    const b = priced.breakdown;
    if (bool(args, 'json')) {
      io.stdout.write(
        JSON.stringify({
          model: priced.model,
          currency: 'USD',
          total_usd: picoToUsd(priced.total),
          breakdown: {
            input_usd: picoToUsd(b.input),
            cache_write_5m_usd: picoToUsd(b.cache_write_5m),
            cache_write_1h_usd: picoToUsd(b.cache_write_1h),
            cache_read_usd: picoToUsd(b.cache_read),
            output_usd: picoToUsd(b.output),
            server_tools_usd: picoToUsd(b.server_tools),
          },
          total_pico_usd: priced.total.toString(),
          batch: priced.batch,
          fast: priced.fast,
          inference_geo: priced.geo,
          tier_above_prompt_tokens: priced.tier,
        }) + '\n',
      );
      return 0;
    }
    const rows: [string, string, string][] = [
      ['input (uncached)', String(priced.tokens.input), formatUsd(b.input, 6)],
      ['cache write 5m', String(priced.tokens.cache_write_5m), formatUsd(b.cache_write_5m, 6)],
      ['cache write 1h', String(priced.tokens.cache_write_1h), formatUsd(b.cache_write_1h, 6)],
      ['cache read', String(priced.tokens.cache_read), formatUsd(b.cache_read, 6)],
      ['output', String(priced.tokens.output), formatUsd(b.output, 6)],
      ['web searches', String(priced.webSearches), formatUsd(b.server_tools, 6)],
    ];
    const mods = [priced.batch ? 'batch (50% off)' : '', priced.fast ? 'fast mode' : '', priced.geo ? `inference_geo ${priced.geo}` : '', priced.tier ? `tier: prompt > ${priced.tier.toLocaleString('en-US')} tokens` : '']
      .filter(Boolean)
      .join(', ');
    io.stdout.write(`${priced.model}${mods ? ` (${mods})` : ''}\n`);
    for (const [k, t, v] of rows) io.stdout.write(`  ${k.padEnd(18)}${t.padStart(12)} tok  ${v.padStart(14)}\n`);
    io.stdout.write(`  ${'total'.padEnd(18)}${''.padStart(16)}  ${formatUsd(priced.total, 6).padStart(14)}\n`);
    return 0;
  },
};
