/**
 * The pessimistic price of a request before it is sent, for budget reservations: the pricing engineer's worst case
 * (wire/estimate.ts: cold cache, so the cached prefix is billed as cache writes; `max_tokens` of output at the
 * output price, thinking included; every web search the tools allow), priced by the one cost engine. With the
 * emulator the token estimate is exact; against the real API it is the same estimate the levers use.
 */
import type { Catalog } from '../pricing/catalog.js';
import type { Pico } from '../pricing/money.js';
import { estimateRequestCost } from '../wire/estimate.js';

export interface ReserveEstimate {
  /** The catalog's id for the model that was priced. */
  readonly model: string;
  readonly inputTokens: number;
  readonly maxTokens: number;
  readonly pico: Pico;
}

/** Throws UnknownModelError when the catalog does not know the body's model. */
export function estimateReservation(catalog: Catalog, body: Readonly<Record<string, unknown>>): ReserveEstimate {
  const e = estimateRequestCost(catalog, body as Record<string, unknown>);
  return { model: e.model, inputTokens: e.inputTokens, maxTokens: e.maxOutputTokens, pico: e.worst.cost.total };
}
