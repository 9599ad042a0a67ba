// The wrapper on the Postgres usage store (local PostgreSQL, database "test", a schema of its own), shared with a
// gateway: both record into it, and hash the same API key the same way (the salt the store keeps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator } from '../emulator/server.js';
import { startGateway } from '../gateway/server.js';
import { openPostgresStore } from '../store/postgres.js';
import { withClawback } from './index.js';

const URL_ = process.env['CLAWBACK_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'sk-ant-api03-shared-store-77aa';
const MODEL = 'claude-sonnet-4-6';

test('wrapper and gateway share a Postgres store: exact costs, one key hash', async () => {
  const schema = `clawback_sdk_${randomBytes(4).toString('hex')}`;
  const emu = await startEmulator({ port: 0 });
  const store = await openPostgresStore(URL_, { schema, flushMs: 10 });
  const gw = await startGateway({ port: 0, upstream: emu.url, store });
  const client = withClawback(new Anthropic({ apiKey: KEY, baseURL: emu.url, maxRetries: 0 }), { db: store });
  try {
    const viaSdk = await client.messages.create({ model: MODEL, max_tokens: 40, messages: [{ role: 'user', content: 'In-process hello' }] }).withResponse();
    const viaGw = await new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 }).messages.create({ model: MODEL, max_tokens: 40, messages: [{ role: 'user', content: 'Proxied hello' }] }).withResponse();
    await client.clawback.flush();
    await gw.drain();
    const recs = await store.query({});
    const sdk = recs.find((r) => r.requestId === viaSdk.response.headers.get('request-id'));
    const gwr = recs.find((r) => r.requestId === viaGw.response.headers.get('request-id'));
    assert.equal(sdk?.source, 'sdk');
    assert.equal(gwr?.source, 'gateway');
    assert.equal(sdk.costPico, emu.ledger.entries().find((e) => e.requestId === sdk.requestId)?.costPico);
    assert.match(sdk.keyHash ?? '', /^[0-9a-f]{32}$/);
    assert.equal(sdk.keyHash, gwr.keyHash, 'the same key, hashed with the salt the store keeps');
  } finally {
    await client.clawback.close();
    await gw.close();
    await store.close();
    await emu.close();
    const c = new pg.Client({ connectionString: URL_ });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
});
