import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSse, SseParser, type SseEvent } from './sse.js';

function parseAll(chunks: (string | Buffer)[]): SseEvent[] {
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

test('encodes an event as the API sends it', () => {
  assert.equal(encodeSse('ping', { type: 'ping' }), 'event: ping\ndata: {"type":"ping"}\n\n');
});

test('parses events split at every possible byte boundary, including inside a UTF-8 character', () => {
  const wire = Buffer.from(encodeSse('content_block_delta', { type: 'content_block_delta', delta: { text: 'héllo ✓' } }) + encodeSse('message_stop', { type: 'message_stop' }));
  for (let cut = 1; cut < wire.length; cut++) {
    const events = parseAll([wire.subarray(0, cut), wire.subarray(cut)]);
    assert.equal(events.length, 2, `cut at ${cut}`);
    assert.equal(JSON.parse(events[0]!.data).delta.text, 'héllo ✓');
    assert.equal(events[1]!.event, 'message_stop');
  }
});

test('accepts CRLF line ends, comments, multi-line data and a last event without its blank line', () => {
  const events = parseAll([': keep-alive\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\nevent: b\ndata: {"x":1}']);
  assert.deepEqual(events, [
    { event: 'a', data: '1\n2' },
    { event: 'b', data: '{"x":1}' },
  ]);
});

test('a line that spans many chunks is read once it ends', () => {
  const long = 'x'.repeat(50_000);
  const wire = Buffer.from(`event: big\ndata: ${long}\n\n`);
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e));
  for (let i = 0; i < wire.length; i += 100) p.push(wire.subarray(i, i + 100));
  p.end();
  assert.equal(out.length, 1);
  assert.equal(out[0]!.data, long);
});

test('reads fields as the SSE spec does: one optional space, a bare "data" line, longer names are other fields', () => {
  const events = parseAll(['event:tight\ndata:  two spaces\ndatum: not data\ndata\ndata2: no\nid: 7\nretry: 10\n\n', 'eventual: no\ndata: only\n\n']);
  assert.deepEqual(events, [
    { event: 'tight', data: ' two spaces\n' },
    { event: 'message', data: 'only' },
  ]);
});
