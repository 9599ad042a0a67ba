/**
 * `clawback recommend` as a user runs it, in-process through main(argv, io): the DESIGN.md JSON line per request,
 * the table, stdin / JSON / JSONL input, --batchable, caching advice, --db over a store the gateway filled, and
 * one-line errors with exit code 2.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { startEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import { createPlanner } from '../levers/planner.js';
import { createRoutingLever } from '../levers/routing.js';
import { main } from './main.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(argv, { stdout, stderr, stdin: Readable.from(stdin ? [stdin] : []), env: {}, color: false });
  return { code, out: stdout.text, err: stderr.text };
}

interface Line {
  recommended: { model: string; max_tokens: number | null; cache: boolean; batch: boolean; estimated_cost_usd: number; reasons: string[] };
  options: { model: string; estimated_cost_usd: number; cached_usd: number; batch_usd: number }[];
}

const classify = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  system: 'Classify the ticket into one of: billing, technical, account. Respond with only the label.',
  messages: [{ role: 'user', content: 'My invoice has the wrong VAT number.' }],
};
const proof = { model: 'claude-sonnet-4-6', max_tokens: 8000, messages: [{ role: 'user', content: 'Prove that every group of order p^2 is abelian.' }] };
const bigSystem = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  system: `You are the support assistant for Ledgerly. Policies follow.\n${'Refunds are issued within 14 days of a duplicate charge. '.repeat(120)}`,
  messages: [{ role: 'user', content: 'Summarise our refund policy for a customer who was charged twice, in a friendly paragraph.' }],
};

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'clawback-recommend-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('clawback recommend', () => {
  it('--json prints one DESIGN.md line per request of a JSONL file', async () => {
    const file = join(dir, 'requests.jsonl');
    writeFileSync(file, [classify, proof].map((b) => JSON.stringify(b)).join('\n') + '\n');
    const r = await run(['recommend', file, '--json']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    assert.equal(lines.length, 2);
    const [a, b] = lines as [Line, Line];
    for (const k of ['model', 'max_tokens', 'cache', 'batch', 'estimated_cost_usd', 'reasons']) assert.ok(k in a.recommended, k);
    assert.equal(a.recommended.model, 'claude-haiku-4-5-20251001');
    assert.match(a.recommended.reasons.join(' '), /builtin:classification/);
    assert.equal(b.recommended.model, 'claude-opus-4-7');
    for (const l of lines) {
      const costs = l.options.map((o) => o.estimated_cost_usd);
      assert.deepEqual(costs, [...costs].sort((x, y) => x - y), 'options cheapest first');
      assert.ok(l.options.some((o) => o.model === 'claude-sonnet-4-6'), 'the requested model is an option');
      const mine = l.options.find((o) => o.model === l.recommended.model)!;
      assert.equal(l.recommended.estimated_cost_usd, mine.estimated_cost_usd, 'no cache, no batch: the plain price');
      assert.ok(mine.batch_usd < mine.estimated_cost_usd);
    }
    // Haiku 4.5 has no effort setting, so it is not even an option for a request that sets one.
    const effort = await run(['recommend', '--json', '-'], JSON.stringify({ ...classify, output_config: { effort: 'low' } }));
    const e = JSON.parse(effort.out) as Line;
    assert.ok(!e.options.some((o) => o.model === 'claude-haiku-4-5-20251001'));
    assert.notEqual(e.recommended.model, 'claude-haiku-4-5-20251001');
  });

  it('advises caching a long stable prefix and batching when the answers can wait', async () => {
    const r = await run(['recommend', '-', '--json', '--batchable'], JSON.stringify(bigSystem));
    assert.equal(r.code, 0, r.err);
    const l = JSON.parse(r.out) as Line;
    assert.equal(l.recommended.cache, true);
    assert.equal(l.recommended.batch, true);
    const mine = l.options.find((o) => o.model === l.recommended.model)!;
    assert.ok(mine.cached_usd < mine.estimated_cost_usd);
    assert.ok(l.recommended.estimated_cost_usd < mine.cached_usd, 'cached and batched');
    assert.match(l.recommended.reasons.join(' '), /cache the \d+-token stable prefix/);
  });

  it('prints a table with every option and the plan, from a JSON file', async () => {
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify(classify, null, 2));
    const r = await run(['recommend', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /request 1: claude-sonnet-4-6/);
    assert.match(r.out, /no cache +cached +batch/);
    assert.match(r.out, /claude-haiku-4-5-20251001 .* <\n/);
    assert.match(r.out, /recommended: claude-haiku-4-5-20251001, max_tokens 256, cache no, batch no: \$0\.\d+/);
  });

  it('bad input is a one-line error with exit code 2', async () => {
    const bad = await run(['recommend', '-'], '{"model": "x",\nnot json');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^clawback recommend: stdin line 1 is not valid JSON/);
    assert.equal(bad.err.trim().split('\n').length, 1);
    assert.equal((await run(['recommend', '-'], '[1, 2]')).code, 2);
    assert.equal((await run(['recommend', join(dir, 'missing.json')])).code, 2);
    assert.equal((await run(['recommend', '--nope'])).code, 2);
  });

  it('--db recommends for what the gateway metered, from the routing decisions it recorded', async () => {
    const emu = await startEmulator({ port: 0 });
    const db = join(dir, 'store.db');
    const gw = await startGateway({ port: 0, upstream: emu.url, db, planner: createPlanner([createRoutingLever()]), settings: { retry: { maxRetries: 0, maxTotalMs: 0, baseMs: 0, capMs: 0 } } });
    try {
      for (const body of [classify, proof]) {
        const res = await fetch(`${gw.url}/v1/messages`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-recommend', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body),
        });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      await gw.drain();
    } finally {
      await gw.close();
      await emu.close();
    }
    const r = await run(['recommend', '--db', db, '--json']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    assert.equal(lines.length, 2);
    const models = lines.map((l) => l.recommended.model).sort();
    assert.deepEqual(models, ['claude-haiku-4-5-20251001', 'claude-opus-4-7']);
    for (const l of lines) assert.match(l.recommended.reasons[0]!, /claude-sonnet-4-6 -> /);
  });
});
