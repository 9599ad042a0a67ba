/** What every CLI command is: its flags, its help, and what it runs. One file per command registers one of these. */
import type { FlagSpec, ParsedArgs } from './args.js';

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** False when NO_COLOR is set or stdout is not a terminal. */
  readonly color: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly synopsis: string;
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  /** Returns the exit code. Long-running commands (gateway, emulate) resolve when they stop. */
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}
