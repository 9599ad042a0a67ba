import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getDefaultCatalog } from '../pricing/catalog.js';
import { assessComplexity } from './complexity.js';
import { parseRoutingConfig, RoutingConfigError } from './routing-config.js';
import { estimateCost } from './routing-cost.js';
import { decideRoute, type DecideInput } from './routing-decide.js';
import { requestFacts } from './routing-request.js';

const catalog = getDefaultCatalog();
const HAIKU = 'claude-haiku-4-5-20251001';
const SONNET = 'claude-sonnet-4-6';
const OPUS = 'claude-opus-4-7';
const ctx = { tags: {}, keyHash: null, userId: null, pinHeader: false };

function decide(body: Record<string, unknown>, over: Partial<DecideInput> = {}, cfg: unknown = {}) {
  const d = decideRoute({ body, catalog, config: parseRoutingConfig(cfg), context: ctx, ...over });
  assert.ok(d, 'a decision for a known model');
  return d;
}

const classify = {
  model: SONNET,
  max_tokens: 20,
  system: 'Classify the ticket into one of: billing, technical, account. Respond with only the label.',
  messages: [{ role: 'user', content: 'My invoice has the wrong VAT number.' }],
};
const proof = {
  model: SONNET,
  max_tokens: 4000,
  messages: [{ role: 'user', content: 'Prove that there are infinitely many primes of the form 4k+3, rigorously.' }],
};

describe('routing decision', () => {
  it('demotes a short-form classification to Haiku and says which template matched', () => {
    const d = decide(classify);
    assert.equal(d.target, HAIKU);
    assert.equal(d.tier, 'haiku');
    assert.ok(d.templates.some((t) => t.id === 'builtin:classification'));
    assert.match(d.reasons.join(' '), /short-form template builtin:classification/);
    assert.ok(d.estimatedSavingPico > 0n, 'Haiku is cheaper than the Sonnet the client asked for');
  });

  it('escalates a proof to Opus with its reasons, and keeps everyday work on Sonnet', () => {
    const d = decide(proof);
    assert.equal(d.target, OPUS);
    assert.ok(d.complexity.reasons.some((r) => r.signal === 'proof'));
    assert.match(d.reasons[0]!, /complexity .* >= 3.4/);
    const everyday = decide({ model: OPUS, max_tokens: 1024, messages: [{ role: 'user', content: 'Write a product description for a ceramic mug, about 120 words.' }] });
    assert.equal(everyday.target, SONNET);
    assert.ok(everyday.estimatedSavingPico > 0n);
  });

  it('thresholds are configuration', () => {
    assert.equal(decide(proof, {}, { escalate_at: 50 }).target, SONNET);
    assert.equal(decide(classify, {}, { demote_below: -10 }).target, SONNET);
  });

  it('never routes to a model that lacks what the request uses', () => {
    // Haiku 4.5 supports no effort setting: the short-form request goes one tier up instead.
    const withEffort = decide({ ...classify, output_config: { effort: 'low' } });
    assert.equal(withEffort.target, SONNET);
    assert.deepEqual(withEffort.skipped.map((s) => s.model), [HAIKU]);
    assert.match(withEffort.skipped[0]!.why.join(), /effort/);
    // A prompt beyond Haiku's 200K context window.
    // (demote_below raised: a prompt that long scores as complex by itself; here only the capability check is tested.)
    const long = decide({ ...classify, max_tokens: 50, messages: [{ role: 'user', content: `Classify this log as ok or failed. Respond with only the label.\n${'x'.repeat(800_000)}` }] }, {}, { demote_below: 10 });
    assert.notEqual(long.target, HAIKU);
    assert.match(long.skipped[0]!.why.join(), /context window/);
    // inference_geo "us" is not accepted by Haiku 4.5.
    const geo = decide({ ...classify, inference_geo: 'us' });
    assert.equal(geo.target, SONNET);
    assert.match(geo.skipped[0]!.why.join(), /inference_geo "us"/);
    // A max_tokens above Haiku's 64K output.
    assert.notEqual(decide({ ...classify, max_tokens: 100_000 }).target, HAIKU);
    // Non-default temperature is rejected by Opus 4.7: a proof with temperature 0.2 stays on the client's model.
    const hot = decide({ ...proof, temperature: 0.2 });
    assert.equal(hot.target, SONNET);
    assert.match(hot.reasons.join(' '), /cannot serve it/);
  });

  it('a pin keeps the client model: header, key, user, pinned route', () => {
    assert.equal(decide(classify, { context: { ...ctx, pinHeader: true } }).target, SONNET);
    assert.equal(decide(classify, { context: { ...ctx, keyHash: 'abc123' } }, { pins: { keys: ['abc123'] } }).target, SONNET);
    assert.equal(decide({ ...classify, metadata: { user_id: 'u-7' } }, {}, { pins: { users: ['u-7'] } }).target, SONNET);
    const r = decide(classify, { context: { ...ctx, tags: { team: 'legal' } } }, { routes: [{ name: 'legal', match: { tags: { team: 'legal' } }, pin: true }] });
    assert.equal(r.target, SONNET);
    assert.equal(r.pinned, true);
    assert.equal(r.route, 'legal');
  });

  it('routes match by tag, key, user, template id, pattern and features, and give a default model', () => {
    const everyday = { model: SONNET, max_tokens: 800, messages: [{ role: 'user', content: 'Summarise this meeting for the team channel.' }] };
    const routes = [
      { name: 'by-tag', match: { tags: { feature: 'faq' } }, model: 'claude-haiku-4-5' },
      { name: 'by-key', match: { key: 'k9f2' }, model: 'claude-haiku-4-5' },
      { name: 'by-user', match: { user_id: 'batch-bot' }, model: 'claude-haiku-4-5' },
      { name: 'by-pattern', match: { pattern: '^Summarise', on: 'user' }, model: 'claude-haiku-4-5' },
      { name: 'by-features', match: { features: { tools: true } }, model: OPUS, escalate: false },
    ];
    assert.equal(decide(everyday, { context: { ...ctx, tags: { feature: 'faq' } } }, { routes }).route, 'by-tag');
    assert.equal(decide(everyday, { context: { ...ctx, keyLast4: 'k9f2' } }, { routes }).route, 'by-key');
    assert.equal(decide({ ...everyday, metadata: { user_id: 'batch-bot' } }, {}, { routes }).route, 'by-user');
    const byPattern = decide(everyday, {}, { routes });
    assert.equal(byPattern.route, 'by-pattern');
    assert.equal(byPattern.target, HAIKU);
    const tools = decide({ ...everyday, messages: [{ role: 'user', content: 'Look up the order.' }], tools: [{ name: 'lookup', input_schema: { type: 'object' } }] }, {}, { routes });
    assert.equal(tools.route, 'by-features');
    assert.equal(tools.target, OPUS);
    const tmpl = decide(classify, {}, { routes: [{ name: 'tickets', match: { template: 'builtin:classification' }, pin: true }] });
    assert.equal(tmpl.route, 'tickets');
    assert.equal(tmpl.target, SONNET);
  });

  it('sticky sessions: a warm cache holds back a demotion unless the switch pays, but never an escalation', () => {
    const history = Array.from({ length: 12 }, (_, i) => [
      { role: 'user', content: `Question ${i}: ${'context about the account and its invoices. '.repeat(60)}` },
      { role: 'assistant', content: `Answer ${i}: ${'details of the invoice history. '.repeat(40)}` },
    ]).flat();
    const body = { ...classify, messages: [...history, { role: 'user', content: 'Classify my last question into billing, technical or account. Respond with only the label.' }] };
    const now = 1_000_000;
    const cfg = { demote_below: 5 }; // a long history scores as complex by itself; this test is about the cache
    const warm = decide(body, { session: { model: SONNET, lastAt: now - 60_000 }, now }, cfg);
    assert.equal(warm.target, SONNET);
    assert.match(warm.reasons.join(' '), /session is warm on claude-sonnet-4-6/);
    const cold = decide(body, { session: { model: SONNET, lastAt: now - 3_600_000 }, now }, cfg);
    assert.equal(cold.target, HAIKU, 'a cold session has no cache to lose');
    const off = decide(body, { session: { model: SONNET, lastAt: now - 60_000 }, now }, { ...cfg, sticky: false });
    assert.equal(off.target, HAIKU);
    const hard = decide(proof, { session: { model: SONNET, lastAt: now - 1000 }, now });
    assert.equal(hard.target, OPUS);
  });

  it('a long agent session with a plain instruction is not escalated for its size alone', () => {
    const tools = Array.from({ length: 18 }, (_, i) => ({ name: `Tool${i}`, description: 'Reads or edits files in the workspace. '.repeat(40), input_schema: { type: 'object' } }));
    const messages: Record<string, unknown>[] = [{ role: 'user', content: 'Add a --verbose flag to the CLI that prints each file as it is processed.' }];
    for (let i = 0; i < 15; i++) {
      messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${i}`, name: 'Tool1', input: { path: 'src/cli.ts' } }] });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: 'export function main() {}\n'.repeat(80) }] });
    }
    const body = { model: SONNET, max_tokens: 32000, system: 'You are a coding agent. '.repeat(300), tools, messages };
    const d = decide(body);
    assert.equal(d.target, SONNET);
    assert.ok(d.complexity.reasons.some((r) => r.signal === 'context cap'));
    // The same session asked to hunt a race condition, with reasons, is escalated.
    messages[0] = { role: 'user', content: 'Find the race condition between the cache invalidation worker and the write path, explain why it happens, and fix it without a global lock.' };
    assert.equal(decide({ ...body, messages }).target, OPUS);
  });

  it('only the complexity check makes a request dearer, and never off a newer Opus', () => {
    // A client on a cheaper model keeps it: Haiku 5.5 for short-form work, Sonnet 5 for everyday work.
    const everyday = { model: 'claude-sonnet-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Write a product description for a ceramic mug, about 120 words.' }] };
    for (const body of [{ ...classify, model: 'claude-haiku-5-5' }, everyday]) {
      const cheap = decide(body);
      assert.equal(cheap.target, body.model);
      assert.match(cheap.reasons.join(' '), /would cost more than the requested/);
    }
    // Demoting Sonnet 5 to Haiku 4.5 still saves, so it happens.
    assert.equal(decide({ ...classify, model: 'claude-sonnet-5' }).target, HAIKU);
    // A proof on Opus 5.5 stays there rather than "escalate" to Opus 4.7.
    const onOpus55 = decide({ ...proof, model: 'claude-opus-5-5' });
    assert.equal(onOpus55.target, 'claude-opus-5-5');
    assert.match(onOpus55.reasons.join(' '), /already an opus-family model/);
  });

  it('configured templates name a team\'s own short-form requests; an agent loop\'s instruction is its last said turn', () => {
    const sku = { model: SONNET, max_tokens: 600, messages: [{ role: 'user', content: 'Stock level for SKU-88123 in the Leeds warehouse?' }] };
    assert.equal(decide(sku).target, SONNET);
    const cfg = { templates: [{ id: 'sku-lookup', kind: 'extraction', pattern: String.raw`\bSKU-\d+\b`, on: 'user' }] };
    const d = decide(sku, {}, cfg);
    assert.equal(d.target, HAIKU);
    assert.deepEqual(d.templates.map((t) => t.id), ['sku-lookup']);
    assert.equal(decide(sku, {}, { ...cfg, templates: [{ ...cfg.templates[0]!, on: 'system' }] }).target, SONNET);
    const facts = requestFacts({
      messages: [
        { role: 'user', content: 'Rename getUser to fetchUser everywhere.' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'grep', input: { q: 'getUser' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'src/a.ts:3 getUser()' }] },
      ],
      tools: [{ name: 'grep', input_schema: { type: 'object' } }],
    });
    assert.equal(facts.lastUserText, 'Rename getUser to fetchUser everywhere.');
    assert.equal(facts.toolUses, 1);
    // The prompt's length counts every text it carries (system, each message's text with tool calls and results, each
    // tool's JSON), as if joined by newlines.
    const allText = ['', 'Rename getUser to fetchUser everywhere.', '{"q":"getUser"}', 'src/a.ts:3 getUser()', JSON.stringify({ name: 'grep', input_schema: { type: 'object' } })];
    assert.equal(facts.allTextChars, allText.join('\n').length);
    assert.equal(facts.codeFences, 0);
  });

  it('counts each request\'s own tools, whether they repeat the previous request\'s or not', () => {
    const tool = (description: string): Record<string, unknown> => ({ name: 'edit', description, input_schema: { type: 'object' } });
    const body = (tools: unknown[]): Record<string, unknown> => ({ messages: [{ role: 'user', content: 'hi' }], tools });
    const chars = (tools: unknown[]): number => ['', 'hi', ...tools.map((t) => JSON.stringify(t))].join('\n').length;
    const a = [tool('Edits a file. ```ts``` blocks allowed.'), tool('Reads a file.')];
    const b = [tool('Edits a file.'), tool('Reads a file.'), tool('Lists files.')];
    for (const tools of [a, structuredClone(a), b, structuredClone(a), [], structuredClone(b)]) {
      const f = requestFacts(body(tools));
      assert.equal(f.allTextChars, chars(tools));
      assert.equal(f.tools, tools.length);
      assert.equal(f.codeFences, tools === a || JSON.stringify(tools) === JSON.stringify(a) ? 2 : 0);
    }
  });

  it('upgrades can be switched off', () => {
    assert.equal(decide(proof, {}, { allow_upgrade: false }).target, SONNET);
  });

  it('compares cost in each model\'s own tokens: Opus 4.7 counts ~30% more prompt tokens for the same text', () => {
    const body = { model: SONNET, max_tokens: 100, messages: [{ role: 'user', content: 'word '.repeat(2000) }] };
    const s = estimateCost(catalog, catalog.resolve(SONNET), body, { outputTokens2025: 100 });
    const o = estimateCost(catalog, catalog.resolve(OPUS), body, { outputTokens2025: 100 });
    const ratio = o.promptTokens / s.promptTokens;
    assert.ok(ratio > 1.25 && ratio < 1.35, `ratio ${ratio}`);
    assert.ok(o.outputTokens > s.outputTokens);
  });

  it('the complexity check explains itself', () => {
    const c = assessComplexity(
      requestFacts({
        max_tokens: 8000,
        messages: [{ role: 'user', content: 'Our Go service deadlocks under load:\n```go\nmu.Lock()\nch <- e\n```\nExplain why, then propose two fixes with their trade-offs, and finally write a test.' }],
      }),
    );
    const signals = c.reasons.map((r) => r.signal);
    for (const s of ['code', 'hard work', 'reasoning']) assert.ok(signals.includes(s), `${s} in ${signals.join()}`);
    assert.equal(Math.round(c.reasons.reduce((a, r) => a + r.points, 0) * 100) / 100, c.score);
  });

  it('rejects a bad config naming the field', () => {
    assert.throws(() => parseRoutingConfig({ routes: [{ name: 'x', match: { pattern: '([' } }] }), (e: unknown) => e instanceof RoutingConfigError && /routes\.0\.match\.pattern/.test(e.message));
    assert.throws(() => parseRoutingConfig({ mode: 'sometimes' }), /levers\.routing\.mode/);
  });
});

describe('request facts', () => {
  it('are read again when a caller reuses one body object for its next request', () => {
    const body: { model: string; max_tokens: number; messages: { role: string; content: string }[] } = {
      model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Hello.' }],
    };
    assert.equal(requestFacts(body).lastUserText, 'Hello.');
    assert.equal(requestFacts(body), requestFacts(body), 'the same body, unchanged: read once');
    body.messages.push({ role: 'assistant', content: 'Hi.' }, { role: 'user', content: 'Prove it.' });
    assert.equal(requestFacts(body).lastUserText, 'Prove it.');
    assert.equal(requestFacts(body).turns, 3);
    body.max_tokens = 20;
    assert.equal(requestFacts(body).maxTokens, 20);
    body.model = 'claude-haiku-4-5';
    assert.equal(requestFacts(body).model, 'claude-haiku-4-5');
  });
});
