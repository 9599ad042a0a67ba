import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { main } from './main.js';
import { captureIO } from '../testing/cli-io.js';

const io = captureIO;

describe('clawback emulate', () => {
  test('--help documents the scenario format and the faults', async () => {
    const t = io();
    assert.equal(await main(['emulate', '--help'], t.io), 0);
    const help = t.out();
    for (const s of ['--scenarios', 'tool_calls', 'tail', 'thinking_tokens', 'stop_reason', '--fault', '429', '529', 'mid-stream-error', 'slow-first-byte:MS', 'drop', 'x-emulator-fault', 'CLAWBACK_EMULATOR_FAULT', '@N']) {
      assert.ok(help.includes(s), `help mentions ${s}`);
    }
  });

  test('a bad --fault is a usage error (exit 2)', async () => {
    const t = io();
    assert.equal(await main(['emulate', '--fault', 'teapot'], t.io), 2);
    assert.match(t.err(), /invalid fault "teapot"/);
  });

  test('prints "clawback emulator listening on URL" and serves the API until stopped', async () => {
    const here = fileURLToPath(import.meta.url);
    const fromSource = here.endsWith('.ts');
    const mainPath = here.replace(/emulate\.test\.(ts|js)$/, `main.${fromSource ? 'ts' : 'js'}`);
    const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), mainPath, 'emulate', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLAWBACK_EMULATOR_FAULT: '' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (c: Buffer) => {
          buf += c.toString();
          const m = /^clawback emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(buf);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${buf}`)));
      });
      const r = await fetch(`${url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk-ant-x', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hello' }] }),
      });
      assert.equal(r.status, 200);
      assert.ok(((await r.json()) as { input_tokens: number }).input_tokens > 0);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
