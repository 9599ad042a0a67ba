/** A one-line progress bar on stderr, used only when stderr is a terminal and the scan is long. */
export interface Progress {
  readonly update: (done: number, total: number) => void;
  readonly done: () => void;
}

export function progressBar(out: NodeJS.WritableStream, { minTotalBytes = 32 << 20, width = 30 } = {}): Progress {
  let shown = false;
  return {
    update(done, total) {
      if (total < minTotalBytes) return;
      const f = total > 0 ? Math.min(1, done / total) : 1;
      const n = Math.round(f * width);
      out.write(`\r  reading logs [${'#'.repeat(n)}${'.'.repeat(width - n)}] ${Math.round(f * 100)}% of ${(total / 1e6).toFixed(0)} MB`);
      shown = true;
    },
    done() {
      if (shown) out.write('\r\x1b[K');
    },
  };
}
