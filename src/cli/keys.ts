/** `clawback keys`: issue, list and revoke virtual keys (gateway keys per team or app; the real key stays in the gateway). */
import { ConfigError } from '../config.js';
import { formatUsd } from '../pricing/money.js';
import { keyJson } from '../monitor/api.js';
import { parseBudgetShorthand } from '../monitor/budget-config.js';
import { KeyError, KeyStore } from '../monitor/keys.js';
import { openStateDb, stateDbPath } from '../monitor/state-db.js';
import { bool, list, str, UsageError, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'name', type: 'string', value: 'NAME', help: 'the key\'s name (a team or an app): create, revoke' },
  { name: 'tags', type: 'list', value: 'k=v[,k=v]', help: 'tags every request made with the key carries (repeatable): create' },
  { name: 'budget', type: 'string', value: 'USD/PERIOD', help: 'a hard budget for the key, e.g. 50/month, 5/day, 100/total: create' },
  { name: 'db', type: 'string', value: 'PATH_OR_URL', help: 'the gateway\'s usage store (or CLAWBACK_DB); the key database sits beside it' },
  { name: 'state', type: 'string', value: 'PATH', help: 'the monitor database itself (or CLAWBACK_STATE)' },
];

function parseTags(values: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const v of values) {
    for (const part of v.split(',')) {
      const p = part.trim();
      if (!p) continue;
      const eq = p.indexOf('=');
      if (eq <= 0 || eq === p.length - 1) throw new UsageError(`keys: --tags takes k=v pairs (got "${p}")`);
      tags[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
    }
  }
  return tags;
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'issue, list and revoke virtual keys for the gateway',
  synopsis: 'create --name NAME [--tags k=v] [--budget 50/month] | ls | revoke NAME  [--db PATH] [--json]',
  description: [
    'Virtual keys let teams and apps use the gateway without the real Anthropic key, which only the gateway holds',
    '(ANTHROPIC_API_KEY). Clients send a virtual key as x-api-key or Authorization: Bearer; the gateway attributes,',
    'tags and budgets every request by it. A key is printed once, at creation: only its HMAC-SHA256 is stored.',
    'Once any key exists, the gateway refuses requests without a valid one. A running gateway picks up new and',
    'revoked keys at once (they share the monitor database: CLAWBACK_STATE, or beside the --db SQLite file).',
  ].join('\n'),
  flags,
  async run(args, io) {
    const [action, ...rest] = args.positionals;
    if (action === undefined) throw new UsageError('keys: say what to do: create, ls or revoke (see clawback keys --help)');
    const path = str(args, 'state') ?? stateDbPath(str(args, 'db'), io.env);
    const db = openStateDb(path);
    try {
      const store = new KeyStore(db, io.env);
      const json = bool(args, 'json');
      if (action === 'create') {
        const name = str(args, 'name') ?? rest[0];
        if (name === undefined) throw new UsageError('keys create: --name is required');
        const budgetFlag = str(args, 'budget');
        let budget = null;
        try {
          budget = budgetFlag !== undefined ? parseBudgetShorthand(budgetFlag) : null;
        } catch (err) {
          if (err instanceof ConfigError) throw new UsageError(`keys create: --${err.message}`);
          throw err;
        }
        const { key, record } = store.create({ name, tags: parseTags(list(args, 'tags')), budget });
        if (json) {
          io.stdout.write(JSON.stringify({ key, ...keyJson(record) }) + '\n');
        } else {
          io.stdout.write(`${key}\n`);
          io.stderr.write(
            `created key "${record.name}"${budget ? ` with a budget of ${formatUsd(budget.limitPico, 2)} per ${budget.period}` : ''}. ` +
              'This is the only time it is shown: store it now. Clients send it as x-api-key (or Authorization: Bearer).\n',
          );
        }
        return 0;
      }
      if (action === 'ls' || action === 'list') {
        const keys = store.list();
        if (json) {
          io.stdout.write(JSON.stringify({ keys: keys.map(keyJson) }) + '\n');
          return 0;
        }
        if (keys.length === 0) {
          io.stdout.write('no keys yet (clawback keys create --name NAME)\n');
          return 0;
        }
        io.stdout.write(`${'NAME'.padEnd(20)} ${'KEY'.padEnd(12)} ${'BUDGET'.padEnd(16)} ${'TAGS'.padEnd(24)} ${'CREATED'.padEnd(20)} STATUS\n`);
        for (const k of keys) {
          const budget = k.budget ? `${formatUsd(k.budget.limitPico, 2)}/${k.budget.period}` : '-';
          const tags = Object.entries(k.tags).map(([a, b]) => `${a}=${b}`).join(',') || '-';
          const status = k.revokedAt === null ? 'active' : `revoked ${new Date(k.revokedAt).toISOString().slice(0, 16).replace('T', ' ')}`;
          io.stdout.write(`${k.name.padEnd(20)} ${('…' + k.last4).padEnd(12)} ${budget.padEnd(16)} ${tags.padEnd(24)} ${new Date(k.createdAt).toISOString().slice(0, 16).replace('T', ' ').padEnd(20)} ${status}\n`);
        }
        return 0;
      }
      if (action === 'revoke') {
        const name = str(args, 'name') ?? rest[0];
        if (name === undefined) throw new UsageError('keys revoke: name the key (clawback keys revoke NAME)');
        const changed = store.revoke(name);
        if (json) io.stdout.write(JSON.stringify({ name, revoked: true, changed }) + '\n');
        else io.stdout.write(changed ? `revoked key "${name}"\n` : `key "${name}" was already revoked\n`);
        return 0;
      }
      throw new UsageError(`keys: unknown action "${action}" (create, ls or revoke)`);
    } catch (err) {
      if (err instanceof KeyError) {
        io.stderr.write(`clawback keys: ${err.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      db.close();
    }
  },
};
