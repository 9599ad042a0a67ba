import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { progressBar } from './progress.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

test('progress bar: silent for short scans, one redrawn line for long ones, cleared at the end', async () => {
  const short = new Sink();
  const p1 = progressBar(short, { minTotalBytes: 1000 });
  p1.update(10, 100);
  p1.done();
  await new Promise((r) => setImmediate(r));
  assert.equal(short.text, '');

  const long = new Sink();
  const p2 = progressBar(long, { minTotalBytes: 1000, width: 10 });
  p2.update(5_000_000, 10_000_000);
  p2.update(10_000_000, 10_000_000);
  p2.done();
  await new Promise((r) => setImmediate(r));
  assert.equal(long.text, '\r  reading logs [#####.....] 50% of 10 MB\r  reading logs [##########] 100% of 10 MB\r\u001b[K');
});
