/**
 * The config file (`--config FILE` or CLAWBACK_CONFIG): one JSON document whose top-level sections belong to the
 * parts of clawback ("pricing", "gateway", "levers", "budgets", ...). Each part validates its own section with its own
 * schema and names the bad field; this module only finds, reads and parses the file.
 */
import { readFileSync } from 'node:fs';

export type ConfigDocument = Readonly<Record<string, unknown>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env['CLAWBACK_CONFIG'] || undefined);
}

export function loadConfigFile(path: string | undefined): ConfigDocument {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  return doc as ConfigDocument;
}
