/**
 * Every command the CLI knows, in the order `clawback --help` lists them: its name and summary here, the rest (flags,
 * help, run) loaded only when that command runs, so `clawback analyze` never loads the gateway, the emulator or the
 * SDK. Add a command: one file, one line here (registry.test.ts checks the name and summary match the file's).
 */
import type { Command } from './command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'calc', summary: 'price one request from its token counts', load: async () => (await import('./calc.js')).calcCommand },
  { name: 'gateway', summary: 'run the Anthropic-compatible proxy that meters every request', load: async () => (await import('./gateway.js')).gatewayCommand },
  { name: 'prices', summary: 'print the price catalog (USD per million tokens)', load: async () => (await import('./prices.js')).pricesCommand },
  { name: 'emulate', summary: 'run a local Anthropic API emulator (caching, usage, batches, faults)', load: async () => (await import('./emulate.js')).emulateCommand },
  { name: 'keys', summary: 'issue, list and revoke virtual keys for the gateway', load: async () => (await import('./keys.js')).keysCommand },
  { name: 'demo', summary: 'run emulator + gateway + a sample workload, print the savings, keep the dashboard up', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'cache', summary: 'prompt-cache forensics: hit rate, wasted writes, savings and why requests missed', load: async () => (await import('./cache.js')).cacheCommand },
  { name: 'analyze', summary: 'where the money went, and what each lever would have saved', load: async () => (await import('./analyze.js')).analyzeCommand },
  { name: 'recommend', summary: 'price a request on every model and recommend a plan (model, max_tokens, cache, batch)', load: async () => (await import('./recommend.js')).recommendCommand },
];
