/**
 * Prompt-prefix fingerprints (one per block: index, cumulative hash, cumulative tokens, breakpoint TTL) from a
 * prefix analysis already made. The caching lever analyses the body it sends; hashes and token counts do not depend
 * on cache_control markers, so its analysis with the breakpoints of the body sent gives the same fingerprints as
 * analysing the body sent again, and the gateway and SDK wrapper take them from there when they can.
 */
import type { CachingLever } from '../levers/caching.js';
import type { RequestPlan } from '../levers/lever.js';
import type { Planner } from '../levers/planner.js';
import type { PrefixFingerprint } from '../store/record.js';
import type { CacheTtl, PrefixBlock } from '../wire/prefix.js';

export function fingerprintsOf(blocks: readonly PrefixBlock[], breakpoints: readonly { readonly block: PrefixBlock; readonly ttl: CacheTtl }[]): PrefixFingerprint[] {
  // Four breakpoints at most in a valid request: a scan, no lookup table per request (a table for a body with more).
  const many = breakpoints.length > 8 ? new Map(breakpoints.map((x) => [x.block.index, x.ttl])) : null;
  const ttlAt = (index: number): CacheTtl | undefined => {
    if (many) return many.get(index);
    for (const x of breakpoints) if (x.block.index === index) return x.ttl;
    return undefined;
  };
  const out: PrefixFingerprint[] = new Array<PrefixFingerprint>(blocks.length);
  for (let k = 0; k < blocks.length; k++) {
    const blk = blocks[k]!;
    const ttl = breakpoints.length > 0 ? ttlAt(blk.index) : undefined;
    out[k] = ttl ? { i: blk.index, h: blk.hash, t: blk.cumTokens, bp: ttl } : { i: blk.index, h: blk.hash, t: blk.cumTokens };
  }
  return out;
}

function isCachingLever(l: Planner['levers'][number]): l is CachingLever {
  return l.name === 'caching' && 'sentPrefix' in l;
}

/**
 * The fingerprints of the body sent, from the caching lever's analysis, or null when the lever did not analyse
 * exactly that body (the caller then analyses it). Call before settling: settling drops the lever's memo.
 */
export function sharedFingerprints(planner: Planner | null, plan: RequestPlan | null): PrefixFingerprint[] | null {
  if (!planner || !plan) return null;
  const p = planner.levers.find(isCachingLever)?.sentPrefix(plan);
  return p ? fingerprintsOf(p.analysis.blocks, p.breakpoints) : null;
}
