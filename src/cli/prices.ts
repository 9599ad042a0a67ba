/** `clawback prices`: the price catalog in force (shipped data plus the config file's overrides). */
import { catalogWithOverrides, type Catalog } from '../pricing/catalog.js';
import type { ModelEntry, PriceSet } from '../pricing/catalog-schema.js';
import { formatUsdExact, parseRatio, perMTokToPicoPerToken, scaleRate } from '../pricing/money.js';
import { configPath, loadConfigFile } from '../config.js';
import { bool, str, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'model', type: 'string', value: 'ID', help: 'show one model in full (any of its ids or aliases)' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file with price overrides (or CLAWBACK_CONFIG)' },
];

/** A $/MTok price times a multiplier, as a $/MTok decimal (display only). */
function scaled(usdPerMTok: string, ratio: string): string {
  return formatUsdExact(scaleRate(perMTokToPicoPerToken(usdPerMTok), parseRatio(ratio)) * 1_000_000n);
}

function compact(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}K`;
  return n.toLocaleString('en-US');
}

function priceLine(p: PriceSet): string {
  return `in ${p.input}, 5m ${p.cache_write_5m}, 1h ${p.cache_write_1h}, read ${p.cache_read}, out ${p.output}`;
}

function table(catalog: Catalog): string {
  const head = ['model', 'input', 'w 5m', 'w 1h', 'read', 'output', 'batch in/out', 'window', 'max out', 'min cache', 'tok', 'status'];
  const lines: string[] = [];
  const rows = catalog.models().map((m) => [
    m.id,
    m.prices.input,
    m.prices.cache_write_5m,
    m.prices.cache_write_1h,
    m.prices.cache_read,
    m.prices.output,
    `${scaled(m.prices.input, m.batch_multiplier)}/${scaled(m.prices.output, m.batch_multiplier)}`,
    compact(m.context_window),
    compact(m.max_output),
    m.min_cacheable_tokens.toLocaleString('en-US'),
    m.tokenizer === 'claude-2026' ? '2026' : '2025',
    m.status,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ').trimEnd();
  lines.push('USD per million tokens; "tok" is the tokenizer family (2026 counts ~30% more tokens for the same text).');
  lines.push(fmt(head));
  catalog.models().forEach((m, i) => {
    lines.push(fmt(rows[i]!));
    for (const extra of details(m, false)) lines.push(`    ${extra}`);
  });
  const st = catalog.data.server_tools;
  lines.push(`web search: $${st.web_search_per_1000} per 1,000 searches; web fetch: $${st.web_fetch_per_1000} per 1,000 (content billed as tokens)`);
  return lines.join('\n') + '\n';
}

/** The lines under a model's row: what is not in the columns. With `full`, every field. */
function details(m: ModelEntry, full: boolean): string[] {
  const out: string[] = [];
  if (m.aliases.length) out.push(`aliases: ${m.aliases.join(', ')}`);
  for (const t of m.tiers) {
    out.push(`tier: prompt > ${t.above_prompt_tokens.toLocaleString('en-US')} tokens: ${priceLine(t.prices)}${full && t.note ? ` (${t.note})` : ''}`);
  }
  if (m.fast) out.push(`fast mode: ${priceLine(m.fast)}${m.supports.fast ? '' : ' (no longer offered; for older logs)'}`);
  if (m.inference_geo) out.push(`inference_geo: ${Object.entries(m.inference_geo).map(([k, v]) => `"${k}" x${v}`).join(', ')}`);
  if (full) {
    out.push(`batch: x${m.batch_multiplier} on every line`);
    if (m.tool_use_system_prompt_tokens) out.push(`tool-use system prompt: ${m.tool_use_system_prompt_tokens.auto} tokens (auto/none), ${m.tool_use_system_prompt_tokens.any} (any/tool)`);
    const s = m.supports;
    out.push(`supports: thinking ${s.thinking ? 'yes' : 'no'}, adaptive thinking ${s.adaptive_thinking ? 'yes' : 'no'}, effort ${s.effort.length ? s.effort.join('/') : 'no'}, fast ${s.fast ? 'yes' : 'no'}`);
    if (m.released) out.push(`released: ${m.released}`);
    if (m.retired_on) out.push(`retired on the Claude API: ${m.retired_on}`);
    out.push(`source: ${m.source} (${m.source_date})`);
    if (m.notes) out.push(`notes: ${m.notes}`);
  }
  return out;
}

function card(m: ModelEntry): string {
  const lines = [
    `${m.id}: ${m.name} (${m.family}, ${m.status})`,
    `  prices (USD/MTok): ${priceLine(m.prices)}`,
    `  batch: ${priceLine({ input: scaled(m.prices.input, m.batch_multiplier), cache_write_5m: scaled(m.prices.cache_write_5m, m.batch_multiplier), cache_write_1h: scaled(m.prices.cache_write_1h, m.batch_multiplier), cache_read: scaled(m.prices.cache_read, m.batch_multiplier), output: scaled(m.prices.output, m.batch_multiplier) })}`,
    `  context window ${m.context_window.toLocaleString('en-US')}, max output ${m.max_output.toLocaleString('en-US')}, min cacheable ${m.min_cacheable_tokens.toLocaleString('en-US')}, tokenizer ${m.tokenizer}`,
    ...details(m, true).map((d) => `  ${d}`),
  ];
  return lines.join('\n') + '\n';
}

export const pricesCommand: Command = {
  name: 'prices',
  summary: 'print the price catalog (USD per million tokens)',
  synopsis: '[--model ID] [--json] [--config FILE]',
  description:
    'Prints every model clawback can price: ids and aliases, prices per million tokens, batch, tiers, fast mode,\n' +
    'inference_geo, minimum cacheable prompt, context window, max output, tokenizer, status and source.\n' +
    'Prices come from data/catalog.json plus the "pricing" section of the config file. --json prints the catalog itself.',
  flags,
  async run(args, io) {
    const catalog = await catalogWithOverrides(loadConfigFile(configPath(str(args, 'config'), io.env))['pricing']);
    const id = str(args, 'model');
    const one = id === undefined ? undefined : catalog.tryResolve(id);
    if (id !== undefined && !one) throw new UsageError(`prices: unknown model "${id}" (run clawback prices to list the known ids)`);
    if (bool(args, 'json')) {
      io.stdout.write(JSON.stringify(one ? one.entry : catalog.data, null, 2) + '\n');
      return 0;
    }
    io.stdout.write(one ? card(one.entry) : table(catalog));
    return 0;
  },
};
