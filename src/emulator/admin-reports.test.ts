import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ManualClock } from './clock.js';
import { picoToCents } from './admin-reports.js';
import { startEmulator, type RunningEmulator } from './server.js';

const clock = new ManualClock(Date.UTC(2026, 10, 20, 10, 0, 0));
let emu: RunningEmulator;

interface UsageRow { uncached_input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation: { ephemeral_5m_input_tokens: number }; model: string | null; workspace_id: string | null; api_key_id: string | null }
interface CostRow { amount: string; currency: string; workspace_id: string | null; description: string | null; model: string | null; token_type: string | null }
interface Report<R> { data: { starting_at: string; ending_at: string; results: R[] }[]; has_more: boolean; next_page: string | null }

async function get<R>(path: string): Promise<Report<R>> {
  const r = await fetch(emu.url + path, { headers: { 'x-api-key': 'sk-ant-admin01-test', 'anthropic-version': '2023-06-01' } });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as Report<R>;
}

before(async () => {
  emu = await startEmulator({ env: {}, clock, workspaces: { 'sk-ant-b': 'wrkspc_b' } });
  const a = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-a', maxRetries: 0 });
  const b = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-b', maxRetries: 0 });
  await a.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'day one' }] });
  await b.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'day one, team b' }] });
  clock.advance(24 * 60 * 60_000);
  await a.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'day two' }] });
});
after(() => emu.close());

describe('Admin API reports from the ledger', () => {
  test('usage report: daily buckets, grouped by model and workspace, tokens matching the ledger', async () => {
    const r = await get<UsageRow>('/v1/organizations/usage_report/messages?starting_at=2026-11-20T00:00:00Z&ending_at=2026-11-23T00:00:00Z&bucket_width=1d&group_by[]=model&group_by[]=workspace_id');
    assert.equal(r.data.length, 3);
    assert.equal(r.data[0]!.starting_at, '2026-11-20T00:00:00Z');
    assert.equal(r.data[0]!.ending_at, '2026-11-21T00:00:00Z');
    assert.equal(r.data[0]!.results.length, 2);
    assert.equal(r.data[1]!.results.length, 1);
    assert.deepEqual(r.data[2]!.results, []);
    const entries = emu.ledger.entries();
    const haiku = r.data[0]!.results.find((x) => x.model === 'claude-haiku-4-5-20251001');
    assert.equal(haiku?.workspace_id, 'wrkspc_b');
    assert.equal(haiku?.output_tokens, entries[1]!.usage.output_tokens);
    assert.equal(haiku?.uncached_input_tokens, entries[1]!.usage.input_tokens);
    const sonnetDay1 = r.data[0]!.results.find((x) => x.model === 'claude-sonnet-4-6');
    assert.equal(sonnetDay1?.workspace_id, null, 'the default workspace reports null');
    assert.equal(sonnetDay1?.api_key_id, null, 'ungrouped dimensions are null');
  });

  test('usage report pages with has_more and next_page', async () => {
    const p1 = await get<UsageRow>('/v1/organizations/usage_report/messages?starting_at=2026-11-20T00:00:00Z&ending_at=2026-11-22T00:00:00Z&limit=1');
    assert.equal(p1.data.length, 1);
    assert.equal(p1.has_more, true);
    assert.ok(p1.next_page);
    const p2 = await get<UsageRow>(`/v1/organizations/usage_report/messages?starting_at=2026-11-20T00:00:00Z&ending_at=2026-11-22T00:00:00Z&limit=1&page=${p1.next_page}`);
    assert.equal(p2.data[0]!.starting_at, '2026-11-21T00:00:00Z');
    assert.equal(p2.has_more, false);
    assert.equal(p2.next_page, null);
  });

  test('usage report filters by model and hourly buckets', async () => {
    const r = await get<UsageRow>('/v1/organizations/usage_report/messages?starting_at=2026-11-20T09:00:00Z&ending_at=2026-11-20T12:00:00Z&bucket_width=1h&models[]=claude-haiku-4-5-20251001');
    assert.equal(r.data.length, 3);
    assert.equal(r.data[1]!.results.length, 1);
    assert.equal(r.data[1]!.results[0]!.output_tokens, emu.ledger.entries()[1]!.usage.output_tokens);
  });

  test('cost report: daily amounts in cents as decimal strings equal to the ledger, by workspace and description', async () => {
    const entries = emu.ledger.entries();
    const plain = await get<CostRow>('/v1/organizations/cost_report?starting_at=2026-11-20T00:00:00Z&ending_at=2026-11-22T00:00:00Z');
    assert.equal(plain.data[0]!.results.length, 1);
    assert.equal(plain.data[0]!.results[0]!.currency, 'USD');
    assert.equal(plain.data[0]!.results[0]!.amount, picoToCents(entries[0]!.costPico + entries[1]!.costPico));
    assert.equal(plain.data[1]!.results[0]!.amount, picoToCents(entries[2]!.costPico));

    const byWs = await get<CostRow>('/v1/organizations/cost_report?starting_at=2026-11-20T00:00:00Z&ending_at=2026-11-21T00:00:00Z&group_by[]=workspace_id');
    const b = byWs.data[0]!.results.find((x) => x.workspace_id === 'wrkspc_b');
    assert.equal(b?.amount, picoToCents(entries[1]!.costPico));

    const byDesc = await get<CostRow>('/v1/organizations/cost_report?starting_at=2026-11-20T00:00:00Z&ending_at=2026-11-21T00:00:00Z&group_by[]=description');
    const rows = byDesc.data[0]!.results;
    assert.ok(rows.some((x) => x.description === 'Claude Sonnet 4.6 Usage - Output Tokens' && x.token_type === 'output_tokens'));
    const sumPico = rows.reduce((s, x) => s + BigInt(x.amount.replace('.', '').padEnd(x.amount.split('.')[0]!.length + 10, '0')), 0n);
    assert.equal(sumPico, entries[0]!.costPico + entries[1]!.costPico);
  });

  test('cost report accepts only daily buckets', async () => {
    const r = await fetch(`${emu.url}/v1/organizations/cost_report?starting_at=2026-11-20T00:00:00Z&bucket_width=1h`, { headers: { 'x-api-key': 'k' } });
    assert.equal(r.status, 400);
  });

  test('picoToCents is exact', () => {
    assert.equal(picoToCents(0n), '0');
    assert.equal(picoToCents(10_000_000_000n), '1');
    assert.equal(picoToCents(12_345_678_900_001n), '1234.5678900001');
  });
});
