/**
 * The output of a stream its client left before the end. Such a stream never shows its final `message_delta`, yet
 * the API billed the output it generated until it saw the disconnect. The best figure a meter has is what it
 * received from the upstream: the content deltas counted by the rule the emulator bills with
 * (wire/output-estimate.ts). The usage gets `output_tokens` = max(seen, estimated) and the note
 * `clawback_output_estimated: true`. Against the emulator this is exact; against the real API an estimate (the
 * real tokenizer differs, and the API may have generated a little more than it sent before it noticed).
 */
import type { Catalog } from '../pricing/catalog.js';
import type { Usage } from '../pricing/usage.js';
import type { OutputUsageTap } from '../wire/output-estimate.js';
import type { Trace } from './trace.js';

/** The usage note marking an estimated `output_tokens`. */
export const OUTPUT_ESTIMATED = 'clawback_output_estimated';

/** Fills in the estimated output of an aborted stream (does nothing for any other response). */
export function estimateAbortedOutput(trace: Trace, tap: OutputUsageTap, catalog: Catalog): void {
  if (trace.outcome !== 'aborted' || trace.unbilled || trace.usage === null || tap.sawMessageDelta) return;
  const model = trace.servedModel ?? trace.requestedModel;
  if (model === null) return;
  let family;
  try {
    family = catalog.resolve(model).entry.tokenizer;
  } catch {
    return; // an unknown model is not priced either (trace.ts warns once)
  }
  const seen = trace.usage.output_tokens ?? 0;
  const usage: Usage & { [OUTPUT_ESTIMATED]: true } = { ...trace.usage, output_tokens: Math.max(seen, tap.outputTokens(family)), [OUTPUT_ESTIMATED]: true };
  trace.usage = usage;
}
