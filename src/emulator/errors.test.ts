import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startEmulator, type RunningEmulator } from './server.js';

const MODEL = 'claude-sonnet-4-6';
let emu: RunningEmulator;
let client: Anthropic;

before(async () => {
  emu = await startEmulator({ env: {} });
  client = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
after(() => emu.close());

const user = (text: string): Anthropic.MessageParam[] => [{ role: 'user', content: text }];

async function rawPost(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: { type: string; error: { type: string; message: string }; request_id: string }; headers: Headers }> {
  const r = await fetch(emu.url + path, {
    method: 'POST',
    headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, body: (await r.json()) as never };
}

describe('validation errors, as the API reports them', () => {
  const cases: [string, unknown, number, string, RegExp][] = [
    ['unknown model', { model: 'claude-nope', max_tokens: 10, messages: user('x') }, 404, 'not_found_error', /^model: claude-nope$/],
    ['missing max_tokens', { model: MODEL, messages: user('x') }, 400, 'invalid_request_error', /max_tokens: Field required/],
    ['too-large max_tokens', { model: MODEL, max_tokens: 10_000_000, messages: user('x') }, 400, 'invalid_request_error', /maximum allowed number of output tokens/],
    ['empty messages', { model: MODEL, max_tokens: 10, messages: [] }, 400, 'invalid_request_error', /at least one message/],
    ['bad role', { model: MODEL, max_tokens: 10, messages: [{ role: 'robot', content: 'x' }] }, 400, 'invalid_request_error', /messages\.0\.role/],
    ['block without type', { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ text: 'x' }] }] }, 400, 'invalid_request_error', /messages\.0\.content\.0\.type/],
    [
      'tool_use without tool_result',
      { model: MODEL, max_tokens: 10, messages: [...user('x'), { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 't', input: {} }] }, ...user('go on')] },
      400, 'invalid_request_error', /tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/,
    ],
    [
      'five breakpoints',
      { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [1, 2, 3, 4, 5].map((i) => ({ type: 'text', text: `part ${i}`, cache_control: { type: 'ephemeral' } })) }] },
      400, 'invalid_request_error', /maximum of 4 blocks with cache_control/,
    ],
    [
      '1h after 5m',
      { model: MODEL, max_tokens: 10, system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }] }] },
      400, 'invalid_request_error', /1h.*cannot come after.*5m/,
    ],
    ['cache_control on empty text', { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: '', cache_control: { type: 'ephemeral' } }] }] }, 400, 'invalid_request_error', /empty text block/],
    ['max_tokens 0 with stream', { model: MODEL, max_tokens: 0, stream: true, messages: user('x') }, 400, 'invalid_request_error', /pre-warming.*stream/],
    ['max_tokens 0 with tool_choice any', { model: MODEL, max_tokens: 0, tool_choice: { type: 'any' }, tools: [{ name: 't', input_schema: { type: 'object' } }], messages: user('x') }, 400, 'invalid_request_error', /pre-warming.*tool_choice/],
    ['prefill ending in whitespace', { model: MODEL, max_tokens: 10, messages: [...user('x'), { role: 'assistant', content: 'The answer is ' }] }, 400, 'invalid_request_error', /trailing whitespace/],
    ['inference_geo on a model without it', { model: 'claude-haiku-4-5', max_tokens: 10, inference_geo: 'us', messages: user('x') }, 400, 'invalid_request_error', /inference_geo/],
    // S-SEP26: Opus 4.7 answers speed "fast" with an error (its old fast price stays in the catalog for old logs).
    ['fast mode on Opus 4.7', { model: 'claude-opus-4-7', max_tokens: 10, speed: 'fast', messages: user('x') }, 400, 'invalid_request_error', /fast mode is not supported/],
  ];
  for (const [name, body, status, type, msg] of cases) {
    test(name, async () => {
      const r = await rawPost('/v1/messages', body);
      assert.equal(r.status, status);
      assert.equal(r.body.type, 'error');
      assert.equal(r.body.error.type, type);
      assert.match(r.body.error.message, msg);
      assert.equal(r.body.request_id, r.headers.get('request-id'));
      assert.match(r.body.request_id, /^req_/);
    });
  }

  test('a body over 32 MB is 413 request_too_large', async () => {
    const big = JSON.stringify({ model: MODEL, max_tokens: 10, messages: user('x'.repeat(33 * 1024 * 1024)) });
    const r = await rawPost('/v1/messages', big);
    assert.equal(r.status, 413);
    assert.equal(r.body.error.type, 'request_too_large');
  });

  test('invalid JSON is a 400', async () => {
    const r = await rawPost('/v1/messages', '{"model": ');
    assert.equal(r.status, 400);
  });

  test('SDK error classes: BadRequestError, AuthenticationError, NotFoundError', async () => {
    await assert.rejects(client.messages.create({ model: MODEL, max_tokens: 10, messages: [] }), Anthropic.BadRequestError);
    await assert.rejects(client.messages.create({ model: 'claude-nope', max_tokens: 10, messages: user('x') }), Anthropic.NotFoundError);
    const r = await fetch(`${emu.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { error: { type: string } }).error.type, 'authentication_error');
  });
});

describe('keys and workspaces', () => {
  test('with requireKnownKeys an unknown key gets AuthenticationError', async () => {
    const strict = await startEmulator({ env: {}, workspaces: { 'sk-ant-known': 'wrkspc_a' }, requireKnownKeys: true });
    try {
      const bad = new Anthropic({ baseURL: strict.url, apiKey: 'sk-ant-other', maxRetries: 0 });
      await assert.rejects(bad.messages.create({ model: MODEL, max_tokens: 10, messages: user('x') }), Anthropic.AuthenticationError);
      const good = new Anthropic({ baseURL: strict.url, apiKey: 'sk-ant-known', maxRetries: 0 });
      await good.messages.create({ model: MODEL, max_tokens: 10, messages: user('x') });
      assert.equal(strict.ledger.entries()[0]?.workspace, 'wrkspc_a');
    } finally {
      await strict.close();
    }
  });
});

describe('faults', () => {
  const params = { model: MODEL, max_tokens: 50, messages: user('fault me') };
  const withFault = (f: string): { headers: Record<string, string> } => ({ headers: { 'x-emulator-fault': f } });

  test('429 is a RateLimitError with retry-after and anthropic-ratelimit-* headers', async () => {
    const err = await client.messages.create(params, withFault('429')).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Anthropic.RateLimitError);
    assert.equal(err.status, 429);
    assert.ok(Number(err.headers?.get('retry-after')) > 0);
    assert.match(err.headers?.get('anthropic-ratelimit-requests-reset') ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(err.headers?.get('anthropic-ratelimit-tokens-remaining'), '0');
  });

  test('500 is an InternalServerError and 529 an overloaded_error', async () => {
    const e500 = await client.messages.create(params, withFault('500')).then(() => null, (e: unknown) => e);
    assert.ok(e500 instanceof Anthropic.InternalServerError);
    assert.equal(e500.status, 500);
    const e529 = await client.messages.create(params, withFault('529')).then(() => null, (e: unknown) => e);
    assert.ok(e529 instanceof Anthropic.InternalServerError);
    assert.equal(e529.status, 529);
    assert.equal((e529.error as { error?: { type?: string } }).error?.type, 'overloaded_error');
  });

  test('a mid-stream error event reaches the SDK stream as an error and is not billed', async () => {
    const before = emu.ledger.entries().length;
    const stream = client.messages.stream(params, withFault('mid-stream-error'));
    await assert.rejects(stream.finalMessage(), (e: unknown) => e instanceof Anthropic.APIError && /overloaded/i.test(e.message));
    assert.equal(emu.ledger.entries().length, before);
  });

  test('a dropped connection is a connection error; slow-first-byte still answers', async () => {
    await assert.rejects(client.messages.create(params, withFault('drop')), Anthropic.APIConnectionError);
    const m = await client.messages.create(params, withFault('slow-first-byte:50'));
    assert.equal(m.type, 'message');
  });

  test('a configured fault for the first N requests lets the SDK retry succeed', async () => {
    const flaky = await startEmulator({ env: {}, faults: '529@2' });
    try {
      const retrying = new Anthropic({ baseURL: flaky.url, apiKey: 'sk-ant-test', maxRetries: 2 });
      const m = await retrying.messages.create(params);
      assert.equal(m.type, 'message');
      assert.equal(flaky.ledger.entries().length, 1);
      const noRetry = new Anthropic({ baseURL: flaky.url, apiKey: 'sk-ant-test', maxRetries: 0 });
      await noRetry.messages.create(params);
    } finally {
      await flaky.close();
    }
  });

  test('CLAWBACK_EMULATOR_FAULT in the environment applies too', async () => {
    const envFault = await startEmulator({ env: { CLAWBACK_EMULATOR_FAULT: '429@1' } });
    try {
      const c = new Anthropic({ baseURL: envFault.url, apiKey: 'sk-ant-test', maxRetries: 0 });
      await assert.rejects(c.messages.create(params), Anthropic.RateLimitError);
      await c.messages.create(params);
    } finally {
      await envFault.close();
    }
  });
});

test('fast mode on Opus 4.8 is served and billed at its fast price', async () => {
  const emu2 = await startEmulator({ env: {} });
  try {
    const r = await fetch(emu2.url + '/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 20, speed: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(r.status, 200);
    const msg = (await r.json()) as { usage: { speed?: string; input_tokens: number; output_tokens: number } };
    assert.equal(msg.usage.speed, 'fast');
    // Opus 4.8 fast: $10 in / $50 out per MTok = 10,000,000 / 50,000,000 pUSD per token.
    const expected = BigInt(msg.usage.input_tokens) * 10_000_000n + BigInt(msg.usage.output_tokens) * 50_000_000n;
    assert.equal(emu2.ledger.entries().at(-1)?.costPico, expected);
  } finally {
    await emu2.close();
  }
});
