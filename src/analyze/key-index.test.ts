import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyIndex, keyFromBytes, keyFromString, type Key } from './key-index.js';
import { parseFile } from './claude-code-parse.js';
import { newStats } from './record.js';
import { RecordTable } from './record-table.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const own = (k: Key): Key => ({ bytes: k.bytes.slice(k.start, k.start + k.len), start: 0, len: k.len });

test('key index: finds exactly the keys that are the same string (ASCII, non-ASCII, lone surrogates), through growth', () => {
  const index = new KeyIndex();
  const names = new Map<string, number>();
  let s = 5;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const alphabet = ['a', 'b', '0', '_', '\u0000', '\u00e9', '\u4e2d', '\ud83d\ude00', '\ud800', '\u00ff'];
  for (let k = 0; k < 20_000; k++) {
    let key = '';
    for (let n = rand(12); n >= 0; n--) key += alphabet[rand(alphabet.length)]!;
    const row = index.find(own(keyFromString(key)));
    assert.equal(row, names.get(key) ?? -1, JSON.stringify(key));
    if (row < 0) {
      names.set(key, k);
      index.add(own(keyFromString(key)), k);
    }
  }
  assert.ok(names.size > 5_000);
});

test('key index: a key read from a line\'s bytes is the key of the same strings', () => {
  const line = Buffer.from('"msg_01ab" "req_9z"', 'latin1');
  const fromBytes: Key = { bytes: new Uint8Array(8), start: 0, len: 0 };
  assert.equal(keyFromBytes(line, 1, 9, 12, 18, fromBytes), true);
  assert.deepEqual(own(fromBytes), own(keyFromString('msg_01ab\u0000req_9z')));
  // a byte past ASCII: left to the strings
  assert.equal(keyFromBytes(Buffer.from('"m\u00e9"', 'utf8'), 1, 4, 1, 4), false);
});

test('dedupe: an id written with an escape is the same response as the plain one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawback-keys-'));
  try {
    const line = (id: string, out: number): string =>
      `{"type":"assistant","timestamp":"2026-11-17T10:00:00.000Z","requestId":"req_1","sessionId":"s","message":{"id":"${id}","model":"claude-sonnet-4-6","usage":{"input_tokens":1,"output_tokens":${out}}}}`;
    const path = join(dir, 's.jsonl');
    writeFileSync(path, [line('msg_2', 5), line('msg_\\u0032', 9), line('msg_3', 1), line('m\u00e9', 2), line('m\\u00e9', 4)].join('\n') + '\n');
    const table = new RecordTable();
    const stats = newStats('claude-code', dir);
    return parseFile(path, stats, table).then(() => {
      assert.equal(table.size, 3);
      assert.equal(table.duplicates, 2);
      assert.deepEqual([0, 1, 2].map((i) => table.output(i)), [9, 1, 4]);
    });
  } finally {
    setTimeout(() => rmSync(dir, { recursive: true, force: true }), 1000).unref();
  }
});
