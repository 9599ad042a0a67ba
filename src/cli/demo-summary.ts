/**
 * The figures `clawback demo` prints, read from the usage records only: cost and baseline are the records' own
 * `costPico` / `baselinePico` (priced by the one cost engine when the gateway metered them), savings per lever are
 * their `savingsPico`, and what observe-mode levers would have saved is the sum of the estimates their recorded
 * decisions carry. Nothing is priced here.
 */
import { formatUsd, picoToUsd, type Pico } from '../pricing/money.js';
import { LEVERS, type LeverName, type UsageRecord } from '../store/record.js';
import type { DemoPart } from './demo-workload.js';

export interface PartBill {
  requests: number;
  costPico: Pico;
  baselinePico: Pico;
}

export interface DemoSummary {
  readonly requests: number;
  readonly costPico: Pico;
  readonly baselinePico: Pico;
  readonly savedPico: Pico;
  /** Saved / baseline in percent, to two decimals. */
  readonly savedPercent: number;
  /** Settled savings per lever (levers that saved nothing are absent). */
  readonly savingsByLever: Partial<Record<LeverName, Pico>>;
  /** The negative part of each lever's savings (requests it made dearer, e.g. routing's escalations) and their count. */
  readonly costlierPico: Partial<Record<LeverName, Pico>>;
  readonly costlier: Partial<Record<LeverName, number>>;
  /** Requests each lever changed (its decision applied). */
  readonly applied: Partial<Record<LeverName, number>>;
  /** Answers a stop sequence added by the output lever ended (instead of running on to max_tokens). */
  readonly endedByAddedStop: number;
  /** Prompt tokens read from the cache over all prompt tokens (input + cache writes + cache reads). */
  readonly cacheHitRate: number;
  readonly cacheReadTokens: number;
  readonly promptTokens: number;
  /** Observe-mode levers: requests they would have changed, and the savings their decisions estimated. */
  readonly wouldChange: Partial<Record<LeverName, number>>;
  readonly wouldSavePico: Partial<Record<LeverName, Pico>>;
  /** The bill per part of the workload (records matched by their id to the step that sent them). */
  readonly byPart: Partial<Record<DemoPart, PartBill>>;
}

const addPico = (m: Partial<Record<LeverName, Pico>>, k: LeverName, v: Pico): void => {
  m[k] = (m[k] ?? 0n) + v;
};
const count = (m: Partial<Record<LeverName, number>>, k: LeverName): void => {
  m[k] = (m[k] ?? 0) + 1;
};

export function summarize(records: readonly UsageRecord[], partOf: ReadonlyMap<string, DemoPart> = new Map()): DemoSummary {
  let costPico = 0n;
  let baselinePico = 0n;
  let cacheRead = 0;
  let prompt = 0;
  let endedByAddedStop = 0;
  const byPart: Partial<Record<DemoPart, PartBill>> = {};
  const savingsByLever: Partial<Record<LeverName, Pico>> = {};
  const applied: Partial<Record<LeverName, number>> = {};
  const costlierPico: Partial<Record<LeverName, Pico>> = {};
  const costlier: Partial<Record<LeverName, number>> = {};
  const wouldChange: Partial<Record<LeverName, number>> = {};
  const wouldSavePico: Partial<Record<LeverName, Pico>> = {};
  for (const r of records) {
    costPico += r.costPico;
    baselinePico += r.baselinePico;
    cacheRead += r.cacheReadTokens;
    const part = partOf.get(r.id);
    if (part !== undefined) {
      const b = (byPart[part] ??= { requests: 0, costPico: 0n, baselinePico: 0n });
      b.requests++;
      b.costPico += r.costPico;
      b.baselinePico += r.baselinePico;
    }
    prompt += r.inputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens;
    for (const l of LEVERS) {
      const s = r.savingsPico[l];
      if (s === undefined) continue;
      addPico(savingsByLever, l, s);
      if (s < 0n) {
        addPico(costlierPico, l, s);
        count(costlier, l);
      }
    }
    for (const d of r.decisions) {
      if (d.applied) count(applied, d.lever);
      const added = d.detail?.['added_stop_sequences'];
      if (d.lever === 'output' && d.applied && Array.isArray(added) && added.length > 0 && r.stopReason === 'stop_sequence') endedByAddedStop++;
      const est = d.estimatedSavingPico !== undefined && /^-?\d+$/.test(d.estimatedSavingPico) ? BigInt(d.estimatedSavingPico) : 0n;
      if (d.mode === 'observe' && est !== 0n) {
        count(wouldChange, d.lever);
        addPico(wouldSavePico, d.lever, est);
      }
    }
  }
  const savedPico = baselinePico - costPico;
  return {
    requests: records.length,
    costPico,
    baselinePico,
    savedPico,
    savedPercent: baselinePico === 0n ? 0 : Number((savedPico * 10_000n) / baselinePico) / 100,
    savingsByLever,
    costlierPico,
    costlier,
    applied,
    endedByAddedStop,
    cacheHitRate: prompt === 0 ? 0 : cacheRead / prompt,
    cacheReadTokens: cacheRead,
    promptTokens: prompt,
    wouldChange,
    wouldSavePico,
    byPart,
  };
}

const usd = (m: Partial<Record<LeverName, Pico>>): Record<string, number> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, picoToUsd(v)]));
const pico = (m: Partial<Record<LeverName, Pico>>): Record<string, string> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.toString()]));

/** The `--json` shape: dollars for reading, exact pico-dollars as strings for checking. */
export function summaryJson(s: DemoSummary): Record<string, unknown> {
  return {
    requests: s.requests,
    cost_usd: picoToUsd(s.costPico),
    baseline_usd: picoToUsd(s.baselinePico),
    savings_usd: picoToUsd(s.savedPico),
    savings_percent: s.savedPercent,
    savings_by_lever: usd(s.savingsByLever),
    savings_by_lever_pico: pico(s.savingsByLever),
    applied_by_lever: s.applied,
    costlier_by_lever_pico: pico(s.costlierPico),
    costlier_requests_by_lever: s.costlier,
    ended_by_added_stop: s.endedByAddedStop,
    cache_hit_rate: Math.round(s.cacheHitRate * 10_000) / 10_000,
    cache_read_tokens: s.cacheReadTokens,
    prompt_tokens: s.promptTokens,
    observe_would_change: s.wouldChange,
    observe_would_save_usd: usd(s.wouldSavePico),
    observe_would_save_pico: pico(s.wouldSavePico),
    by_part: Object.fromEntries(Object.entries(s.byPart).map(([k, b]) => [k, { requests: b.requests, cost_usd: picoToUsd(b.costPico), baseline_usd: picoToUsd(b.baselinePico), cost_pico: b.costPico.toString(), baseline_pico: b.baselinePico.toString() }])),
    cost_pico: s.costPico.toString(),
    baseline_pico: s.baselinePico.toString(),
    saved_pico: s.savedPico.toString(),
  };
}

const LEVER_NOTES: Partial<Record<LeverName, string>> = {
  caching: 'given cache breakpoints',
  routing: 'sent to another model',
  output: 'given a stop sequence or a max_tokens cap',
};

/** The human-readable bill. */
export function summaryText(s: DemoSummary, modes: Partial<Record<LeverName, string>>): string[] {
  const money = (p: Pico): string => formatUsd(p, 6).padStart(12);
  const lines = [
    `  without clawback  ${money(s.baselinePico)}`,
    `  with clawback     ${money(s.costPico)}`,
    `  saved             ${money(s.savedPico)}  (${s.savedPercent.toFixed(1)}%)`,
  ];
  for (const l of LEVERS) {
    const mode = modes[l];
    if (mode === undefined) continue;
    const v = s.savingsByLever[l] ?? 0n;
    const n = s.applied[l] ?? 0;
    const lost = s.costlierPico[l];
    const split = lost === undefined ? '' : ` (saved ${formatUsd(v - lost, 6)}, spent ${formatUsd(-lost, 6)} on ${s.costlier[l] ?? 0} it made dearer)`;
    lines.push(`    ${l.padEnd(9)}${mode.padEnd(9)}${money(v)}  ${n} request${n === 1 ? '' : 's'} ${mode === 'enforce' ? LEVER_NOTES[l] ?? 'changed' : 'observed only'}${split}`);
  }
  if (modes.output === 'enforce' && s.endedByAddedStop > 0 && s.savingsByLever.output === undefined) {
    lines.push(`             ${s.endedByAddedStop} answers ended at the added stop sequence instead of running on (no saving metered: the lever has seen no answer on that route without it)`);
  }
  const parts = Object.entries(s.byPart);
  if (parts.length > 0) {
    lines.push(`  by workload        ${'without'.padStart(12)}${'with'.padStart(12)}`);
    for (const [part, b] of parts) lines.push(`    ${`${part} (${b.requests})`.padEnd(15)}${money(b.baselinePico)}${money(b.costPico)}`);
  }
  lines.push(`  cache hit rate    ${(100 * s.cacheHitRate).toFixed(1)}% of ${s.promptTokens.toLocaleString('en-US')} prompt tokens read from the cache`);
  const observed = LEVERS.filter((l) => modes[l] === 'observe');
  if (observed.length > 0) {
    lines.push('  observe mode: what these levers would have saved enforcing (their recorded estimates):');
    for (const l of observed) {
      const n = s.wouldChange[l] ?? 0;
      const v = s.wouldSavePico[l];
      lines.push(`    ${l.padEnd(9)}${v === undefined ? '           -  no estimate recorded' : `${money(v)}  ${n} request${n === 1 ? '' : 's'} it would change`}`);
    }
  }
  return lines;
}
