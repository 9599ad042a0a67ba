/** Every command the CLI knows, in the order `clawback --help` lists them. Add a command: one file, one line here. */
import type { Command } from './command.js';
import { calcCommand } from './calc.js';
import { gatewayCommand } from './gateway.js';
import { emulateCommand } from './emulate.js';
import { pricesCommand } from './prices.js';
import { keysCommand } from './keys.js';
import { demoCommand } from './demo.js';
import { cacheCommand } from './cache.js';
import { analyzeCommand } from './analyze.js';
import { recommendCommand } from './recommend.js';

export const COMMANDS: readonly Command[] = [calcCommand, gatewayCommand, pricesCommand, emulateCommand, keysCommand, demoCommand, cacheCommand, analyzeCommand, recommendCommand];
