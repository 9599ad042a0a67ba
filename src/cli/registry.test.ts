import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from './registry.js';

test('every registry entry loads the command it names, with the summary --help lists', async () => {
  assert.ok(COMMANDS.length >= 9);
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length, 'command names are unique');
  for (const entry of COMMANDS) {
    const cmd = await entry.load();
    assert.equal(cmd.name, entry.name);
    assert.equal(cmd.summary, entry.summary, `summary of ${entry.name} in registry.ts matches src/cli/${entry.name}.ts`);
  }
});
