/**
 * The emulator's bill: one entry per request the emulated API billed (messages, and succeeded batch requests),
 * priced by the one cost engine. It is "what the API billed", which gateway metering is checked against; served as
 * JSON at GET /_emulator/ledger (costs as strings) and emptied by DELETE /_emulator/ledger.
 */
import { createHash } from 'node:crypto';
import type { Catalog } from '../pricing/catalog.js';
import { priceUsage } from '../pricing/cost.js';
import type { Pico } from '../pricing/money.js';
import type { Usage } from '../pricing/usage.js';

export interface LedgerEntry {
  readonly requestId: string;
  readonly messageId: string;
  /** When the request started (ms since epoch, on the emulator's clock). */
  readonly time: number;
  readonly apiKeyHash: string;
  readonly workspace: string;
  /** The catalog's canonical model id. */
  readonly model: string;
  readonly usage: Usage;
  readonly costPico: Pico;
  readonly batchId?: string;
  readonly customId?: string;
}

export type LedgerInput = Omit<LedgerEntry, 'costPico'>;

/** A short, stable, non-reversible id for an API key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export class Ledger {
  private list: LedgerEntry[] = [];
  constructor(private readonly catalog: Catalog) {}

  /** Prices the usage (batch and inference_geo read from it) and records the entry. */
  add(e: LedgerInput): LedgerEntry {
    const priced = priceUsage(this.catalog, e.model, e.usage);
    const entry: LedgerEntry = { ...e, costPico: priced.total };
    this.list.push(entry);
    return entry;
  }

  entries(): readonly LedgerEntry[] {
    return this.list;
  }

  totalPico(): Pico {
    return this.list.reduce((s, e) => s + e.costPico, 0n);
  }

  reset(): void {
    this.list = [];
  }

  toJSON(): { entries: unknown[]; total_cost_pico_usd: string; count: number } {
    return {
      count: this.list.length,
      total_cost_pico_usd: this.totalPico().toString(),
      entries: this.list.map((e) => ({ ...e, time: new Date(e.time).toISOString(), costPico: e.costPico.toString() })),
    };
  }
}
