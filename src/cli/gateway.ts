/** `clawback gateway`: run the metering proxy until SIGTERM/SIGINT (which flush the store before exit). */
import { configPath, loadConfigFile } from '../config.js';
import { createDefaultPlanner } from '../levers/defaults.js';
import { catalogWithOverrides } from '../pricing/catalog.js';
import type { GatewayOptions } from '../gateway/server.js';
import { startMonitoredGateway } from '../monitor/start.js';
import { bool, int, str, type FlagSpec } from './args.js';
import type { Command } from './command.js';

const flags: readonly FlagSpec[] = [
  { name: 'port', type: 'int', value: 'N', help: 'port to listen on; 0 picks a free one (default: config, else 8787)' },
  { name: 'host', type: 'string', value: 'HOST', help: 'interface to listen on (default 127.0.0.1)' },
  { name: 'upstream', type: 'string', value: 'URL', help: 'the API to forward to (or CLAWBACK_UPSTREAM_URL; default https://api.anthropic.com)' },
  { name: 'config', type: 'string', value: 'FILE', help: 'config file (or CLAWBACK_CONFIG)' },
  { name: 'db', type: 'string', value: 'PATH_OR_URL', help: 'usage store: SQLite file or postgres:// URL (or CLAWBACK_DB; default ./clawback.db)' },
];

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'run the Anthropic-compatible proxy that meters every request',
  synopsis: '[--port 8787] [--host 127.0.0.1] [--upstream URL] [--config FILE] [--db PATH_OR_URL]',
  description: [
    'Runs a proxy in front of the Claude API. Point any client at it:',
    '  ANTHROPIC_BASE_URL=http://127.0.0.1:8787',
    'Every request under /v1/ is relayed (streams chunk by chunk) and metered to the pico-dollar into the usage store.',
    'The levers run on /v1/messages: caching places cache_control breakpoints (on by default; it cannot change an',
    'answer); routing and output budgets only observe unless the config\'s "levers" section enforces them.',
    'The header x-clawback-optimize: off skips every lever for one request.',
    'Clients keep their own API keys (stored only as a salted hash and the last four characters);',
    'with ANTHROPIC_API_KEY set, the gateway sends that key upstream instead. SIGTERM or SIGINT flushes the store',
    'and exits.',
  ].join('\n'),
  flags,
  async run(args, io) {
    const config = loadConfigFile(configPath(str(args, 'config'), io.env));
    const opts: { -readonly [K in keyof GatewayOptions]: GatewayOptions[K] } = {
      config,
      env: io.env,
      catalog: await catalogWithOverrides(config['pricing']),
      // The levers: caching on (it cannot change an answer), routing and output budgets in observe mode unless the
      // config's "levers" section says otherwise.
      planner: createDefaultPlanner(config),
    };
    const port = int(args, 'port');
    if (port !== undefined) opts.port = port;
    const host = str(args, 'host');
    if (host !== undefined) opts.host = host;
    const upstream = str(args, 'upstream');
    if (upstream !== undefined) opts.upstream = upstream;
    const db = str(args, 'db');
    if (db !== undefined) opts.db = db;
    const key = io.env['ANTHROPIC_API_KEY'];
    if (key) opts.apiKey = key;

    // The monitor (budgets, alerts, /metrics, virtual keys, the dashboard under /clawback/) is always plugged in.
    const gw = await startMonitoredGateway(opts);
    if (bool(args, 'json')) io.stdout.write(JSON.stringify({ url: gw.url, upstream: gw.upstream }) + '\n');
    else io.stdout.write(`clawback gateway listening on ${gw.url}\n`);
    io.stderr.write(`clawback gateway: dashboard at ${gw.url}/clawback/${io.env['CLAWBACK_ADMIN_TOKEN'] ? ' (open it once with ?token=CLAWBACK_ADMIN_TOKEN)' : ''}\n`);
    if (key) io.stderr.write('clawback gateway: sending ANTHROPIC_API_KEY upstream (clients\' own keys are not forwarded)\n');

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        io.stderr.write(`clawback gateway: ${signal}, flushing the usage store\n`);
        gw.close(5_000).then(
          () => resolve(0),
          (err: unknown) => {
            io.stderr.write(`clawback gateway: close failed: ${(err as Error).message}\n`);
            resolve(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  },
};
