/** `clawback prices`: the price catalog in force (shipped data plus the config file's overrides). */
import { loadCatalog } from '../pricing/catalog.js';
import { configPath, loadConfigFile } from '../config.js';
import { bool, str, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [{ name: 'config', type: 'string', value: 'FILE', help: 'config file with price overrides (or CLAWBACK_CONFIG)' }];

export const pricesCommand: Command = {
  name: 'prices',
  summary: 'print the price catalog (USD per million tokens)',
  synopsis: '[--json] [--config FILE]',
  description: 'Prints every model clawback can price: ids and aliases, prices per million tokens, batch, tiers, fast mode,\ninference_geo, minimum cacheable prompt, context window, max output, tokenizer, status and source.',
  flags,
  async run(args, io) {
    const catalog = loadCatalog({ overrides: loadConfigFile(configPath(str(args, 'config'), io.env))['pricing'] });
    if (bool(args, 'json')) {
      io.stdout.write(JSON.stringify(catalog.data, null, 2) + '\n');
      return 0;
    }
    const head = ['model', 'input', 'write 5m', 'write 1h', 'read', 'output', 'min cache', 'status'];
    const rows = catalog.models().map((m) => [m.id, m.prices.input, m.prices.cache_write_5m, m.prices.cache_write_1h, m.prices.cache_read, m.prices.output, String(m.min_cacheable_tokens), m.status]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    io.stdout.write(fmt(head) + '\n' + rows.map(fmt).join('\n') + '\n');
    return 0;
  },
};
