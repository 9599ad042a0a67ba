/** For tests: run CLI commands in-process with captured stdout/stderr, as a terminal-less user would see them. */
import { PassThrough } from 'node:stream';
import type { CommandIO } from '../cli/command.js';
import { main } from '../cli/main.js';

export interface CapturedIO {
  readonly io: CommandIO;
  out(): string;
  err(): string;
}

export function captureIO(env: NodeJS.ProcessEnv = {}): CapturedIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env, color: false }, out: () => o, err: () => e };
}

/** `clawback ARGV...` with the given environment; resolves with the exit code and what was printed. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const c = captureIO(env);
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}
