#!/usr/bin/env node
/** The `clawback` command: dispatches to one file per command. */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatHelp, parseArgs, UsageError } from './args.js';
import type { Command, CommandIO } from './command.js';
import { COMMANDS } from './registry.js';

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'clawback: cut what you pay for the Claude API, and see where the money goes.',
    '',
    'Usage: clawback <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Every command takes --help and --json. Environment: CLAWBACK_UPSTREAM_URL, CLAWBACK_DB, CLAWBACK_CONFIG,',
    'CLAWBACK_ADMIN_TOKEN, ANTHROPIC_API_KEY. NO_COLOR turns colour off.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write('clawback 0.1.0\n');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`clawback: unknown command "${name}" (see clawback --help)\n`);
    return 2;
  }
  // Only the command that runs is loaded (and what it imports): `analyze` never pulls in the gateway or the SDK.
  const cmd: Command = await entry.load();
  try {
    const args = parseArgs(rest, cmd.flags, cmd.name);
    if (args.flags['help'] === true) {
      io.stdout.write(formatHelp(cmd.name, cmd.synopsis, cmd.description, cmd.flags));
      return 0;
    }
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`clawback ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`clawback ${cmd.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

export function processIO(): CommandIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    color: !process.env['NO_COLOR'] && process.stdout.isTTY === true,
  };
}

// Run only when executed as the bin (npm's bin shim is a symlink, so compare real paths), not when imported by tests.
const isMain = process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
if (isMain) {
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      // Long-running commands keep the event loop alive themselves; short ones exit with their code.
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`clawback: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
