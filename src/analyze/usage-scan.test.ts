import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Usage } from '../pricing/usage.js';
import { newUsageFields, scanUsage, templateReads, usageFields, type UsageFields } from './usage-scan.js';

/** The scanner on a usage text: what it read, or null when it left the text to JSON.parse. */
function scanned(text: string): UsageFields | null {
  const b = Buffer.from(text, 'utf8');
  const out = newUsageFields();
  return scanUsage(b, 0, b.length, out) === b.length ? out : null;
}

test('usage scanner: the plain Claude Code usage is read from the bytes, as usageFields reads the parsed object', () => {
  const text =
    '{"input_tokens":3,"cache_creation_input_tokens":1200,"cache_read_input_tokens":48000,"output_tokens":512,"server_tool_use":{"web_search_requests":2,"web_fetch_requests":0},' +
    '"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":1000,"ephemeral_5m_input_tokens":0},"inference_geo":"","iterations":[],"speed":"standard"}';
  const got = scanned(text);
  assert.notEqual(got, null);
  // the split (1000 at 1h) is short of the aggregate (1200): the rest counts as 5m
  assert.deepEqual(got, { input: 3, w5: 200, w1h: 1000, read: 48000, output: 512, web: 2, batch: false, fast: false, geo: null });
  assert.deepEqual(got, usageFields(JSON.parse(text) as Usage));
  assert.deepEqual(scanned('{"service_tier":"batch","speed":"fast","inference_geo":"us","cache_creation":null,"cache_creation_input_tokens":7}'), { input: 0, w5: 7, w1h: 0, read: 0, output: 0, web: 0, batch: true, fast: true, geo: 'us' });
});

test('usage scanner: what it leaves to JSON.parse (steps, fractions, escapes, other types, invalid JSON)', () => {
  const odd = [
    '{"iterations":[{"type":"compaction","input_tokens":5}]}', // extra billed steps: the table keeps the object
    '{"input_tokens":1.5}',
    '{"input_tokens":1e3}',
    '{"input_tokens":-1}',
    '{"input_tokens":"5"}',
    '{"input_tokens":01}', // not JSON
    '{"input_tokens":1234567890123456}', // past 15 digits
    '{"service_tier":"b\\u0061tch"}', // an escape
    '{"inp\\u0075t_tokens":1}', // a key with an escape
    '{"service_tier":1}',
    '{"cache_creation":{"ephemeral_5m_input_tokens":{"x":1}}}', // nested too deep
    '{"cache_creation":5}',
    '{"input_tokens":1,}', // not JSON
    '{"input_tokens":1 "output_tokens":2}', // not JSON
    '{"input_tokens":nul}', // not JSON
    '{"x":[1]}',
  ];
  for (const t of odd) assert.equal(scanned(t), null, t);
});

test('usage scanner: thousands of generated usage texts read exactly as usageFields(JSON.parse(text)), or left to JSON.parse', () => {
  let s = 99;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const pick = <T>(a: readonly T[]): T => a[rand(a.length)]!;
  const sp = (): string => pick(['', '', '', ' ', '\n', ' \t ']);
  const num = (): string => pick(['0', String(rand(1000)), String(rand(2_000_000)), 'null', '1.5', '2e2', '-3', '"7"', 'true', '01', '123456789012345', '9007199254740993']);
  const str = (): string => pick(['"batch"', '"standard"', '"fast"', '""', '"us"', 'null', '"b\\u0061tch"', '3', '"caf\u00e9"']);
  const flat = (keys: readonly string[]): string => {
    const parts: string[] = [];
    for (let k = rand(4); k > 0; k--) parts.push(`${sp()}"${pick(keys)}"${sp()}:${sp()}${rand(5) === 0 ? str() : num()}${sp()}`);
    return rand(8) === 0 ? 'null' : rand(20) === 0 ? '[]' : `{${parts.join(',')}}`;
  };
  const fields: (() => string)[] = [
    () => `"input_tokens":${num()}`,
    () => `"output_tokens":${num()}`,
    () => `"cache_creation_input_tokens":${num()}`,
    () => `"cache_read_input_tokens":${num()}`,
    () => `"cache_creation":${flat(['ephemeral_5m_input_tokens', 'ephemeral_1h_input_tokens', 'other'])}`,
    () => `"server_tool_use":${flat(['web_search_requests', 'web_fetch_requests'])}`,
    () => `"service_tier":${str()}`,
    () => `"speed":${str()}`,
    () => `"inference_geo":${str()}`,
    () => `"iterations":${pick(['[]', '[ ]', 'null', '[{"type":"message"}]', '[{"type":"compaction","input_tokens":9}]'])}`,
    () => `"output_tokens_details":${flat(['thinking_tokens'])}`,
    () => `"unknown_field":${pick(['1', '"x"', 'false', '{"a":1}', '{"a":{"b":1}}', '[1,2]'])}`,
  ];
  let read = 0;
  let left = 0;
  for (let k = 0; k < 5000; k++) {
    const parts: string[] = [];
    for (let f = rand(12); f >= 0; f--) parts.push(`${sp()}${pick(fields)()}${sp()}`);
    const text = `{${parts.join(',')}}`;
    let parsed: Usage | undefined;
    try {
      parsed = JSON.parse(text) as Usage;
    } catch {
      parsed = undefined;
    }
    const got = scanned(text);
    if (got === null) {
      left++;
      continue;
    }
    assert.notEqual(parsed, undefined, `the scanner accepted what JSON.parse rejects: ${text}`);
    const steps = Array.isArray(parsed!.iterations) && parsed!.iterations.some((it) => it && it.type !== 'message');
    assert.equal(steps, false, `the scanner read a usage with extra steps: ${text}`);
    assert.deepEqual(got, usageFields(parsed!), text);
    read++;
  }
  assert.ok(read > 500 && left > 500, `both paths exercised (read ${read}, left to JSON.parse ${left})`);
});

test('usage scanner: objects in the shape of the one before (read by its template) agree with JSON.parse, whatever their values', () => {
  let s = 17;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const pick = <T>(a: readonly T[]): T => a[rand(a.length)]!;
  // mostly plain values (so the template keeps matching), sometimes one JSON.parse reads differently or rejects
  const num = (): string => (rand(10) > 0 ? String(rand(100_000)) : pick(['null', '1.5', '2e2', '-3', '"7"', 'true', '01', '[]', '{}', '123456789012345', '1234567890123456']));
  const str = (): string => (rand(10) > 0 ? pick(['"standard"', '"batch"', '"fast"', '""', '"us"']) : pick(['null', '3', '"b\\u0061tch"', '"x\u0001"', '[]', '"caf\u00e9"']));
  const shapes = [
    (): string => `{"input_tokens":${num()},"cache_creation_input_tokens":${num()},"cache_read_input_tokens":${num()},"output_tokens":${num()},"server_tool_use":{"web_search_requests":${num()},"web_fetch_requests":${num()}},"service_tier":${str()},"cache_creation":{"ephemeral_1h_input_tokens":${num()},"ephemeral_5m_input_tokens":${num()}},"inference_geo":${str()},"iterations":${pick(['[]', '[]', 'null', '[{"type":"compaction","input_tokens":1}]'])},"speed":${str()}}`,
    (): string => `{ "input_tokens" : ${num()} , "output_tokens": ${num()}, "cache_creation": ${pick(['null', `{"ephemeral_5m_input_tokens":${num()}}`])}, "cache_creation_input_tokens":${num()}, "x":${num()} }`,
  ];
  const got = newUsageFields();
  const before = templateReads.count;
  let read = 0;
  for (let k = 0; k < 6000; k++) {
    const text = shapes[k < 3000 ? 0 : 1]!();
    let parsed: Usage | undefined;
    try {
      parsed = JSON.parse(text) as Usage;
    } catch {
      parsed = undefined;
    }
    const b = Buffer.from(text, 'utf8');
    if (scanUsage(b, 0, b.length, got) !== b.length) continue;
    read++;
    assert.notEqual(parsed, undefined, `the scanner accepted what JSON.parse rejects: ${text}`);
    assert.ok(!(Array.isArray(parsed!.iterations) && parsed!.iterations.length > 0), `the scanner read a usage with steps: ${text}`);
    assert.deepEqual({ ...got }, usageFields(parsed!), text);
  }
  const byTemplate = templateReads.count - before;
  assert.ok(read > 1000 && byTemplate > 1000 && byTemplate < read, `read ${read}, by the template ${byTemplate}`);
});
