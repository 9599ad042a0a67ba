// Crash safety of `clawback gateway` run as a real child process: a record of a response the client received in full
// is on disk within the flush bound, so a killed gateway loses none older than that; SIGTERM flushes everything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';

const FLUSH_MS = 100;
let emu: RunningEmulator;
let dir: string;

before(async () => {
  emu = await startEmulator({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'clawback-crash-'));
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `clawback gateway` in a child process (compiled JS, or the TypeScript source through tsx). */
async function spawnGateway(db: string, flushMs: number): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const config = join(dir, `config-${flushMs}.json`);
  writeFileSync(config, JSON.stringify({ gateway: { flushMs } }));
  const fromSource = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(`../cli/main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const args = [...(fromSource ? ['--import', 'tsx'] : []), main, 'gateway', '--port', '0', '--upstream', emu.url, '--db', db, '--config', config];
  const env = { ...process.env };
  delete env['ANTHROPIC_API_KEY'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += String(c)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += String(c);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${String(code)}) before listening: ${err}`)));
  });
  return { child, url, exited };
}

async function send(url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(`${url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': 'sk-crash-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 20, stream: i % 2 === 0, messages: [{ role: 'user', content: `hello ${i}` }] }),
    });
    await r.body.text();
    assert.equal(r.statusCode, 200);
    ids.push(String(r.headers['x-clawback-request-id']));
  }
  return ids;
}

function stored(db: string): { id: string; cost_pico: bigint }[] {
  const raw = new Database(db, { readonly: true });
  try {
    return raw.prepare('SELECT id, cost_pico FROM usage_records').safeIntegers(true).all() as { id: string; cost_pico: bigint }[];
  } finally {
    raw.close();
  }
}

describe('gateway crash safety (child process)', () => {
  it('a gateway killed with SIGKILL has already written every record older than the flush bound', async () => {
    const db = join(dir, 'kill.db');
    const gw = await spawnGateway(db, FLUSH_MS);
    const ids = await send(gw.url, 10);
    await new Promise((r) => setTimeout(r, FLUSH_MS * 3)); // the bound, with room for a loaded CI machine
    gw.child.kill('SIGKILL');
    await gw.exited;
    const rows = stored(db);
    assert.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort());
    assert.ok(rows.every((r) => r.cost_pico > 0n));
  });

  it('SIGTERM flushes what is queued before the gateway exits', async () => {
    const db = join(dir, 'term.db');
    const gw = await spawnGateway(db, 60_000); // nothing would be written by the timer before the signal
    const ids = await send(gw.url, 6);
    gw.child.kill('SIGTERM');
    assert.equal(await gw.exited, 0);
    assert.deepEqual(stored(db).map((r) => r.id).sort(), [...ids].sort());
  });
});
