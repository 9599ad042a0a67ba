/**
 * Files shared out between the main thread and worker threads while they parse: the main thread claims from the
 * front of the (sorted) list, workers from the back, through two counters in shared memory. Every file is claimed
 * once; the main thread ends up with a prefix of the list and the workers with the rest, so merging the workers'
 * files after the main thread's, in file order, gives exactly what one thread reading every file in order gives,
 * however the line between them fell.
 */

export interface ClaimJob {
  readonly files: readonly string[];
  /** Int32 [claimed so far, next index from the back + 1]. */
  readonly claims: SharedArrayBuffer;
}

export function newClaims(files: number): Int32Array {
  const claims = new Int32Array(new SharedArrayBuffer(8));
  claims[1] = files;
  return claims;
}

/** A claim for any file: false when every file has been claimed. */
function claim(claims: Int32Array, files: number): boolean {
  return Atomics.add(claims, 0, 1) < files;
}

/** The index of the next file from the back, or -1 when none is left (workers). */
export function claimFromBack(claims: Int32Array, files: number): number {
  return claim(claims, files) ? Atomics.sub(claims, 1, 1) - 1 : -1;
}

/** Whether the main thread may take its next file from the front (its own count is the index). */
export function claimFromFront(claims: Int32Array, files: number): boolean {
  return claim(claims, files);
}
