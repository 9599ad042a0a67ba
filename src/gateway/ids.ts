/**
 * clawback's request ids (`x-clawback-request-id`, UsageRecord.id), shaped like the API's (`req_01` + 22 base62
 * characters): a random per-process part and a counter, so minting one costs no system call per request.
 */
import { randomBytes } from 'node:crypto';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function idMinter(prefix = 'req'): () => string {
  let seed = '';
  for (const b of randomBytes(12)) seed += B62[b % 62];
  let n = 0;
  return () => {
    n++;
    let s = '';
    for (let v = n; v > 0; v = Math.floor(v / 62)) s = B62[v % 62]! + s;
    return `${prefix}_01${seed}${s.padStart(10, '0')}`;
  };
}
