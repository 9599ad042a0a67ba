/**
 * The dashboard in a real browser (playwright-core driving Debian's chromium, /usr/bin/chromium): it opens with
 * ?token=, shows the numbers, updates them live when requests go through the gateway (no reload), the numbers
 * equal the store, and a screenshot is saved to test-artifacts/. Without chromium this test fails; it never skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { formatUsd } from '../pricing/money.js';
import { startHarness, userMessage } from './testing.js';

const CHROMIUM = process.env['CLAWBACK_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Waits until an expression is true in the page. Polled from here with page.evaluate (a DevTools call, not subject
 * to the page's CSP), because waitForFunction evaluates its predicate inside the page, which the dashboard's CSP
 * rightly forbids (no 'unsafe-eval'). Page code is given as source text: this project compiles without the DOM lib.
 */
async function until(page: Page, expr: string, limitMs = 15_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await page.evaluate(expr))) {
    if (Date.now() > end) throw new Error(`the dashboard never satisfied: ${expr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the dashboard shows live spend that equals the store', async () => {
  assert.ok(existsSync(CHROMIUM), `chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CLAWBACK_CHROMIUM`);
  const h = await startHarness({ config: { budgets: [{ name: 'daily', limit_usd: '1', period: 'day' }] } });
  const profile = mkdtempSync(join(tmpdir(), 'clawback-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    // Nothing may leave the machine: any request to another host fails the test.
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.host !== new URL(h.gw.url).host) {
        problems.push(`external request: ${u.href}`);
        return route.abort();
      }
      return route.continue();
    });

    await page.goto(h.gw.dashboardUrl);
    assert.equal(new URL(page.url()).search, '', 'the token was swapped for a cookie');
    await page.waitForSelector('#live.on');
    assert.equal(await page.textContent('#total-requests'), '0');
    await page.evaluate('window.marker = 42');

    // one plain, one with a cached system prompt (sent twice), one streamed
    const system = [{ type: 'text', text: 'You answer billing questions. ' + 'Every invoice lists its taxes per line. '.repeat(120), cache_control: { type: 'ephemeral' } }];
    assert.equal((await h.send(userMessage('What is on my invoice?', 'claude-haiku-4-5', 80), { 'x-clawback-tags': 'team=search' })).status, 200);
    await until(page, "document.querySelectorAll('#recent tbody tr').length === 1");
    for (let i = 0; i < 2; i++) {
      assert.equal((await h.send({ model: 'claude-sonnet-4-6', max_tokens: 120, system, messages: [{ role: 'user', content: `Why was I taxed twice (${i})?` }] }, { 'x-clawback-session': 'ticket-7' })).status, 200);
    }
    const s = await fetch(`${h.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...userMessage('Stream me a summary of my account.', 'claude-sonnet-4-6', 150), stream: true }),
    });
    await s.text();
    await h.gw.drain();

    await until(page, "document.body.dataset.requests === '4'");
    assert.equal(await page.evaluate('window.marker'), 42, 'updated without reloading');

    const records = await h.gw.store.query({});
    assert.equal(records.length, 4);
    const cost = records.reduce((a, r) => a + r.costPico, 0n);
    const saved = records.reduce((a, r) => a + r.baselinePico - r.costPico, 0n);
    await until(page, `document.getElementById('total-cost').dataset.pico === '${cost.toString()}'`);
    assert.equal(await page.textContent('#total-cost'), formatUsd(cost, 6));
    assert.equal(await page.getAttribute('#spend-today', 'data-pico'), cost.toString());
    assert.equal(await page.textContent('#spend-today'), formatUsd(cost, 4));
    assert.equal(await page.textContent('#total-savings'), formatUsd(saved, 6));
    const readTokens = records.reduce((a, r) => a + r.cacheReadTokens, 0);
    assert.ok(readTokens > 0);
    const allInput = records.reduce((a, r) => a + r.inputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens, 0);
    assert.equal(await page.textContent('#cache-hit'), ((readTokens / allInput) * 100).toFixed(1) + '%');

    // recent requests, newest first, each with its bill
    const bills = await page.$$eval('#recent tbody tr', (rows) => rows.map((r) => r.children[8]?.textContent ?? ''));
    const newestFirst = [...records].sort((a, b) => b.startedAt - a.startedAt);
    assert.deepEqual(bills, newestFirst.map((r) => formatUsd(r.costPico, 6)));
    // groups and the budget
    assert.match((await page.textContent('#by-model')) ?? '', /claude-haiku-4-5/);
    assert.match((await page.textContent('#by-tag')) ?? '', /team=search/);
    assert.match((await page.textContent('#by-session')) ?? '', /ticket-7/);
    assert.equal(await page.textContent('[data-budget="daily"] .spent'), `${formatUsd(cost, 4)} of $1.00`);
    assert.ok((await page.$$('#hourly svg rect')).length >= 24, 'the hourly chart is drawn');

    mkdirSync(join(process.cwd(), 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(process.cwd(), 'test-artifacts', 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
    await h.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
