/**
 * `clawback recommend [FILE|-] [--json]`: for one request body (JSON), many (JSONL), or the requests in a gateway
 * store (`--db`), prints each model option with its cost (without caching, with the stable prefix cached, in a
 * batch) and the recommended plan with its reasons. `--json` prints one line per request (DESIGN.md contract).
 */
import { readFileSync } from 'node:fs';
import { configPath, loadConfigFile } from '../config.js';
import { parseRoutingConfig } from '../levers/routing-config.js';
import { recommendForBody, recommendForRecord, type Recommendation } from '../levers/routing-recommend.js';
import { catalogWithOverrides } from '../pricing/catalog.js';
import { formatUsd, picoToUsd } from '../pricing/money.js';
import { openStore } from '../store/open.js';
import { bool, int, str, UsageError, type FlagSpec } from './args.js';
import type { Command, CommandIO } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'db', type: 'string', value: 'PATH', help: 'recommend for the requests in a gateway store (SQLite file or postgres:// URL)' },
  { name: 'limit', type: 'int', value: 'N', default: 50, help: 'with --db: the most recent N requests' },
  { name: 'batchable', type: 'bool', help: 'the answers can wait up to 24 hours: consider the Message Batches API (50% off)' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file: price overrides and "levers.routing" (or CLAWBACK_CONFIG)' },
];

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding?.('utf8');
    stream.on('data', (c: string | Buffer) => (text += c.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/** One JSON document, or JSON Lines; each must be an object (a Messages API request body). */
export function parseBodies(text: string, where: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`recommend: ${where} is empty (expected a request body as JSON, or JSONL)`);
  const check = (v: unknown, at: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`recommend: ${at} is not a JSON object (a Messages API request body)`);
    return v as Record<string, unknown>;
  };
  try {
    const one: unknown = JSON.parse(trimmed);
    return Array.isArray(one) ? one.map((v, i) => check(v, `${where} item ${i + 1}`)) : [check(one, where)];
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  return trimmed.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [check(JSON.parse(line), `${where} line ${i + 1}`)];
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`recommend: ${where} line ${i + 1} is not valid JSON: ${(err as Error).message}`);
    }
  });
}

function jsonLine(r: Recommendation): string {
  const p = r.recommended;
  return JSON.stringify({
    recommended: { model: p.model, max_tokens: p.maxTokens, cache: p.cache, batch: p.batch, estimated_cost_usd: picoToUsd(p.costPico), reasons: p.reasons },
    options: r.options.map((o) => ({ model: o.model, estimated_cost_usd: picoToUsd(o.standardPico), cached_usd: picoToUsd(o.cachedPico), batch_usd: picoToUsd(o.batchPico) })),
    requested_model: r.requested,
    prompt_tokens: r.promptTokens,
  });
}

function table(r: Recommendation, n: number, io: CommandIO): void {
  const out = io.stdout;
  out.write(`request ${n}: ${r.requested ?? '(no model)'}, ~${r.promptTokens.toLocaleString('en-US')} prompt tokens\n`);
  const w = Math.max(24, ...r.options.map((o) => o.model.length)) + 2;
  out.write(`  ${'model'.padEnd(w)}${'no cache'.padStart(12)}${'cached'.padStart(12)}${'batch'.padStart(12)}\n`);
  for (const o of r.options) {
    const mark = o.model === r.recommended.model ? ' <' : '';
    out.write(`  ${o.model.padEnd(w)}${formatUsd(o.standardPico, 6).padStart(12)}${formatUsd(o.cachedPico, 6).padStart(12)}${formatUsd(o.batchPico, 6).padStart(12)}${mark}\n`);
  }
  const p = r.recommended;
  out.write(`  recommended: ${p.model}, max_tokens ${p.maxTokens ?? '-'}, cache ${p.cache ? 'yes' : 'no'}, batch ${p.batch ? 'yes' : 'no'}: ${formatUsd(p.costPico, 6)}\n`);
  for (const reason of p.reasons) out.write(`    - ${reason}\n`);
  out.write('\n');
}

export const recommendCommand: Command = {
  name: 'recommend',
  summary: 'price a request on every model and recommend a plan (model, max_tokens, cache, batch)',
  synopsis: '[FILE|-] [--db PATH] [--batchable] [--config FILE] [--json]',
  description:
    'Reads one Messages API request body (JSON), many (JSONL), or with --db the requests a gateway store metered.\n' +
    'For each: every model that can serve it, priced in its own tokens without caching, with its stable prefix\n' +
    'read from the cache, and in a batch; then the recommended plan and why. FILE "-" (or none) reads stdin.',
  flags,
  async run(args, io) {
    const cfg = loadConfigFile(configPath(str(args, 'config'), io.env));
    const catalog = await catalogWithOverrides(cfg['pricing']);
    const levers = typeof cfg['levers'] === 'object' && cfg['levers'] !== null ? (cfg['levers'] as Record<string, unknown>) : {};
    const routing = parseRoutingConfig(levers['routing'] ?? {});
    const opts = { catalog, routing, batchable: bool(args, 'batchable') };
    const json = bool(args, 'json');
    const db = str(args, 'db');
    if (args.positionals.length > 1) throw new UsageError('recommend: give one FILE (or - for stdin)');
    let recs: Recommendation[];
    if (db !== undefined) {
      if (args.positionals.length > 0) throw new UsageError('recommend: give either FILE or --db, not both');
      const store = await openStore(db);
      try {
        const rows = await store.query({ limit: int(args, 'limit') ?? 50, newestFirst: true });
        recs = rows.filter((r) => r.endpoint === 'messages').flatMap((r) => recommendForRecord(r, opts) ?? []);
      } finally {
        await store.close();
      }
    } else {
      const file = args.positionals[0] ?? '-';
      let text: string;
      if (file === '-') text = await readAll(io.stdin);
      else {
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw new UsageError(`recommend: cannot read ${file}: ${(err as Error).message}`);
        }
      }
      recs = parseBodies(text, file === '-' ? 'stdin' : file).map((b) => recommendForBody(b, opts));
    }
    if (json) for (const r of recs) io.stdout.write(jsonLine(r) + '\n');
    else {
      if (recs.length === 0) io.stdout.write('no requests to recommend for\n');
      recs.forEach((r, i) => table(r, i + 1, io));
    }
    return 0;
  },
};
