import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Usage } from '../pricing/usage.js';
import { isoMs, scanLine, type LineFields } from './claude-code-scan.js';
import { fixturePath } from './test-fixtures.js';
import { usageFields } from './usage-scan.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields as compared: a usage object is reduced to what the table keeps of it (usageFields, the reference),
 * whether the scanner read it from the bytes or JSON.parse built it; one with extra billed steps stays whole (the
 * scanner must hand those to JSON.parse).
 */
type Compared = Omit<LineFields, 'fields' | 'tsMs' | 'ts' | 'msgAt' | 'msgEnd' | 'reqAt' | 'reqEnd'> & { ts: number };
function compared(f: LineFields | null, b?: Buffer): Compared | null {
  if (f === null) return null;
  // the timestamp as billed() reads it: the scanner's reading, else Date.parse of the string; ids kept as bytes, decoded
  const { fields, tsMs, ts, msgAt, msgEnd, reqAt, reqEnd, ...other } = f;
  const rest = {
    ...other,
    ts: tsMs ?? Date.parse(String(ts ?? '')),
    msgId: b && msgAt >= 0 ? b.toString('utf8', msgAt, msgEnd) : f.msgId,
    requestId: b && reqAt >= 0 ? b.toString('utf8', reqAt, reqEnd) : f.requestId,
  };
  if (fields !== null) return { ...rest, usage: { ...fields } };
  const u = f.usage;
  const steps = isObj(u) && Array.isArray(u['iterations']) && (u['iterations'] as unknown[]).some((it) => isObj(it) && it['type'] !== 'message');
  return { ...rest, usage: isObj(u) && !steps ? usageFields(u as Usage) : u };
}

/** What JSON.parse of the whole line gives for the same fields (the slow path the scanner replaces). */
function viaJson(line: string): Compared | null {
  const o: unknown = JSON.parse(line);
  if (!isObj(o) || !isObj(o['message'])) return null;
  const m = o['message'];
  return compared({ type: o['type'], ts: o['timestamp'], requestId: o['requestId'], sessionId: o['sessionId'], sidechain: o['isSidechain'] === true, msgId: m['id'], model: m['model'], stop: m['stop_reason'], usage: m['usage'], fields: null, tsMs: null, msgAt: -1, msgEnd: -1, reqAt: -1, reqEnd: -1 });
}

const scan = (line: string): Compared | null => {
  const b = Buffer.from(line, 'utf8');
  return compared(scanLine(b, 0, b.length), b);
};

test('scanner: every line of the Claude Code fixture gives the fields JSON.parse gives', () => {
  const root = fixturePath('claude-code');
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.jsonl'));
  let checked = 0;
  for (const f of files) {
    for (const line of readFileSync(join(root, f), 'utf8').split('\n')) {
      let expected: Compared | null;
      try {
        expected = viaJson(line);
      } catch {
        assert.equal(scan(line), null, `malformed line is left to JSON.parse: ${line}`);
        continue;
      }
      const got = scan(line);
      if (expected !== null) {
        assert.deepEqual(got, expected, line);
        checked++;
      } else assert.equal(got, null);
    }
  }
  assert.ok(checked >= 8, `checked ${checked} lines with a message`);
});

test('scanner: escapes, whitespace, nested "usage" in content, unicode and repeated keys read as JSON.parse reads them', () => {
  const lines = [
    // a tool_use input carrying its own "usage" and "message" keys, inside the content: not the line's usage
    '{"type":"assistant","message":{"id":"msg_1","content":[{"type":"tool_use","input":{"usage":{"input_tokens":999},"message":{"id":"x"}}}],"model":"claude-sonnet-4-6","stop_reason":null,"usage":{"input_tokens":3,"output_tokens":5}},"requestId":"req_1","timestamp":"2026-11-17T10:00:00.000Z","sessionId":"s1"}',
    // whitespace everywhere, escaped strings, non-ASCII, a repeated top-level key (the last one wins)
    ' { "type" : "user" , "type":"assistant", "isSidechain" : true ,\t"message" : { "id" : "msg_\\u0032", "model" : "claude-haiku-4-5", "content" : "caf\u00e9 \\"quoted\\" \\\\", "usage" : { "input_tokens" : 1 , "cache_creation" : { "ephemeral_1h_input_tokens" : 7 } } } , "requestId" : "req_\\"2", "timestamp" : "2026-11-17T10:00:00Z" } ',
    // long strings (found by the native search) with escaped quotes and backslashes, a long escaped id
    `{"type":"assistant","message":{"id":"${'m'.repeat(60)}\\"x","content":[{"type":"text","text":"${'word '.repeat(40)}\\"usage\\": {} \\\\"}],"model":"claude-sonnet-4-6","usage":{"output_tokens":9}},"requestId":"r","timestamp":"2026-11-17T10:00:00Z"}`,
    // numbers, booleans and null elsewhere, an empty message
    '{"n":-1.5e3,"ok":false,"x":null,"type":"assistant","message":{},"requestId":"r"}',
  ];
  for (const line of lines) assert.deepEqual(scan(line), viaJson(line), line);
});

test('scanner: lines in an unusual shape answer null so the caller falls back to JSON.parse', () => {
  const odd = [
    '{"type":"assistant","message":{"id":"m","usage":{"input_tokens":1}},"requestId":"r"', // truncated
    '{"type":"assistant","message":{"id":"m","usage":{"input_tokens":1}}} trailing', // text after the object
    '{"type":"assistant","message":{"id":1,"usage":{}}}', // id of another type
    '{"timestamp":1700000000000,"message":{"usage":{}}}', // timestamp of another type
    '{"typ\\u0065":"assistant","message":{"usage":{}}}', // key written with an escape
    '{"type":"assistant","message":{"usage":{}},"message":{"usage":{}}}', // message twice
    '{"type":"assistant","message":{"usage":[1]}}', // usage not an object
    '{"type":"assistant","message":{"usage":{"input_tokens":}}}', // usage not JSON
    '{"type":"assistant","message":"text"}', // message not an object
    '{"type":"assistant","usage":{}}', // no message at all
    '{"type":"assistant","message":{"content":"a\u0001b","usage":{}}}', // raw control character in a string
  ];
  for (const line of odd) assert.equal(scan(line), null, line);
});

test('scanner: a timestamp read from the bytes is what Date.parse makes of it; other forms are left to Date.parse', () => {
  const forms = ['2026-11-17T10:00:00.000Z', '2026-11-17T23:59:59Z', '2026-02-28T00:00:00.999Z', '1999-12-31T23:59:59.001Z', '2026-02-30T10:00:00.000Z', '2026-11-17T24:00:00Z', '0099-11-17T10:00:00.000Z', '2026-11-17T10:00:00.5Z', '2026-11-17T10:00:00.000+01:00', '2026-13-01T00:00:00.000Z', '2026-11-17 10:00:00Z', 'yesterday', ''];
  let s = 3;
  for (let k = 0; k < 2000; k++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    forms.push(new Date(1_000_000_000_000 + (s % 2_000_000_000) * 1000 + (k % 1000)).toISOString());
  }
  let read = 0;
  for (const t of forms) {
    const b = Buffer.from(t, 'latin1');
    const ms = isoMs(b, 0, b.length);
    if (ms === null) continue;
    read++;
    assert.equal(ms, Date.parse(t), t);
  }
  assert.ok(read >= 1500, `most generated times are read from the bytes (read ${read})`);
  for (const t of ['2026-02-30T10:00:00.000Z', '2026-11-17T24:00:00Z', '0099-11-17T10:00:00.000Z']) assert.equal(isoMs(Buffer.from(t), 0, t.length), null, t);
});
