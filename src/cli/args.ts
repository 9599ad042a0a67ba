/**
 * Command-line flags: each command declares its flags once; the parser checks them and produces a one-line error
 * for an unknown flag or a bad value (the CLI then exits with code 2).
 */
export type FlagType = 'string' | 'int' | 'bool' | 'list';

export interface FlagSpec {
  readonly name: string; // without the leading dashes
  readonly type: FlagType;
  readonly help: string;
  readonly value?: string; // placeholder shown in help, e.g. "N" or "PATH"
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  readonly short?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | number | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'json', type: 'bool', help: 'print machine-readable JSON instead of tables' },
  { name: 'help', type: 'bool', short: 'h', help: 'show this help' },
];

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const all = [...specs, ...COMMON_FLAGS];
  const byName = new Map(all.map((s) => [s.name, s]));
  const byShort = new Map(all.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: Record<string, string | number | boolean | string[] | undefined> = {};
  for (const s of all) if (s.default !== undefined) flags[s.name] = s.default;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else {
      const s = byShort.get(a.slice(1));
      if (!s) throw new UsageError(`${command}: unknown flag ${a} (see clawback ${command} --help)`);
      name = s.name;
    }
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`${command}: unknown flag --${name} (see clawback ${command} --help)`);
    if (spec.type === 'bool') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new UsageError(`${command}: --${name} takes no value`);
      flags[name] = inline !== 'false';
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`${command}: --${name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`${command}: --${name} must be one of ${spec.choices.join(', ')} (got "${raw}")`);
    }
    if (spec.type === 'int') {
      if (!/^\d+$/.test(raw)) throw new UsageError(`${command}: --${name} must be a whole number >= 0 (got "${raw}")`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new UsageError(`${command}: --${name} is too large (got "${raw}")`);
      flags[name] = n;
    } else if (spec.type === 'list') {
      const prev = flags[name];
      flags[name] = [...(Array.isArray(prev) ? prev : []), raw];
    } else {
      flags[name] = raw;
    }
  }
  return { flags, positionals };
}

export function formatHelp(command: string, synopsis: string, description: string, specs: readonly FlagSpec[]): string {
  const rows = [...specs, ...COMMON_FLAGS].map((s) => {
    const left = `  ${s.short ? `-${s.short}, ` : ''}--${s.name}${s.type === 'bool' ? '' : ` ${s.value ?? 'VALUE'}`}`;
    const extra = [s.choices ? `one of: ${s.choices.join(', ')}` : '', s.default !== undefined && s.type !== 'bool' ? `default: ${String(s.default)}` : '']
      .filter(Boolean)
      .join('; ');
    return [left, `${s.help}${extra ? ` (${extra})` : ''}`] as const;
  });
  const w = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, r]) => (l.length >= w ? `${l}\n${' '.repeat(w)}${r}` : `${l.padEnd(w)}${r}`));
  return `Usage: clawback ${command} ${synopsis}\n\n${description}\n\nFlags:\n${lines.join('\n')}\n`;
}

export function str(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}
export function int(p: ParsedArgs, name: string): number | undefined {
  const v = p.flags[name];
  return typeof v === 'number' ? v : undefined;
}
export function bool(p: ParsedArgs, name: string): boolean {
  return p.flags[name] === true;
}
export function list(p: ParsedArgs, name: string): string[] {
  const v = p.flags[name];
  return Array.isArray(v) ? v : [];
}
