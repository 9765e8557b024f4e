/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
 * is downloaded): the real app on free ports with the simulated market, two portfolios traded over
 * gRPC with strategy tags. The overview shows both; the portfolio page takes a trade from its ticket,
 * shows it in the trades table and moves the equity value without a reload, and shows a refused
 * trade's error naming the field. Screenshots of both pages go to docs/img/.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestServer, trade } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (!available && !inCi) {
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install chromium); in CI it runs`);
}

/**
 * Where the screenshots go: docs/img when PTE_SCREENSHOTS=1 (to refresh the README's pictures),
 * else a scratch folder, so a test run leaves the checkout as it was.
 */
const IMG =
  process.env.PTE_SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'img') : mkdtempSync(join(tmpdir(), 'pte-dashboard-'));

describe.skipIf(!available && !inCi)('dashboard in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer({ http: { port: await freePort() }, journal: { enabled: false } });
    base = `http://127.0.0.1:${server.app.httpPort}`;
    const { client } = server;
    // Two strategies, each in its own portfolio: buys, sells, one tagged differently, one failed on tolerance.
    const plans = [
      ['momentum', 'momentum-v2', ['0.5', '0.5', '0.2'], 50],
      ['mean-reversion', 'meanrev-v1', ['2', '0.4', '3'], 5_000],
    ] as const;
    for (const [portfolioId, strategy, amounts, priorityFee] of plans) {
      for (let i = 0; i < 6; i++) {
        const sell = i % 3 === 2;
        await client.executeTrade(
          trade({ portfolioId, amount: amounts[i % 3] ?? '0.1', action: sell ? 'SELL' : 'BUY', priorityFee: String(priorityFee * (i + 1)), metadata: { strategy: i === 4 ? 'hedge' : strategy } }),
        );
      }
      await client.executeTrade(trade({ portfolioId, amount: '0.1', slippageToleranceBps: 0, slippageModel: { name: 'fixed', params: { bps: 50 } }, metadata: { strategy } }));
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Nothing but the dashboard's own origin may be asked for.
    await page.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    mkdirSync(IMG, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (server as typeof server | undefined)?.stop();
  });

  it('shows every portfolio side by side on the overview, sortable', async () => {
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) external.push(r.url());
    });
    await page.goto(`${base}/#/`);
    const rows = page.locator('#overview-table tbody tr[data-portfolio]');
    await rows.first().waitFor();
    await page.locator('#overview-table tr[data-portfolio="mean-reversion"] svg polyline').waitFor();
    expect(await rows.evaluateAll((trs: readonly { getAttribute(name: string): string | null }[]) => trs.map((tr) => tr.getAttribute('data-portfolio') ?? ''))).toEqual(['mean-reversion', 'momentum']);
    // Sort by portfolio id, descending.
    await page.locator('button[data-sort="id"]').click();
    expect(await rows.evaluateAll((trs: readonly { getAttribute(name: string): string | null }[]) => trs.map((tr) => tr.getAttribute('data-portfolio') ?? ''))).toEqual(['momentum', 'mean-reversion']);
    await page.locator('button[data-sort="id"]').click();
    await page.locator('#health').getByText('price source').waitFor();
    await page.screenshot({ path: join(IMG, 'dashboard-overview.png') });
    expect(external).toEqual([]);
  }, 30_000);

  it('opens a portfolio, places a trade from the ticket and shows it live, then shows a refused trade', async () => {
    await page.locator('#overview-table a', { hasText: 'momentum' }).click();
    await page.waitForURL(/#\/portfolio\/momentum$/);
    const rows = page.locator('#trades-table tbody tr[data-trade-id]');
    await expect.poll(() => rows.count()).toBe(7);
    await page.locator('#trades-table tr.failed').first().waitFor();
    await page.locator('#equity-chart canvas').waitFor();
    await page.locator('#live-state', { hasText: 'live ●' }).waitFor();
    // A marker that a reload would erase.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    const valueBefore = await page.locator('#equity-value').getAttribute('data-value');

    await page.locator('#ticket select[name="action"]').selectOption('BUY');
    await page.locator('#ticket input[name="amount"]').fill('0.75');
    await page.locator('#ticket input[name="metadata"]').fill('{"strategy": "momentum-v2"}');
    await page.locator('#ticket button[type="submit"]').click();
    await page.locator('#ticket-result', { hasText: 'FILLED' }).waitFor({ timeout: 2_000 });
    // The new trade arrives in the table and the equity value moves, both through the live stream.
    await page.locator('#trades-table tbody tr.fresh').first().waitFor({ timeout: 1_500 });
    expect(await rows.count()).toBe(8);
    await expect.poll(() => page.locator('#equity-value').getAttribute('data-value'), { timeout: 1_500, interval: 50 }).not.toBe(valueBefore);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    // Refused by the executor's validation: the message names the field, and the field is marked.
    await page.locator('#ticket input[name="amount"]').fill('0.0000000001');
    await page.locator('#ticket button[type="submit"]').click();
    const error = page.locator('#ticket-error');
    await error.getByText('amount:').waitFor({ timeout: 2_000 });
    expect(await error.textContent()).toMatch(/^INVALID_ARGUMENT: amount: /);
    expect(await page.locator('#ticket input[name="amount"]').getAttribute('aria-invalid')).toBe('true');
    // Refused for the balance: nothing booked, the table unchanged.
    await page.locator('#ticket input[name="amount"]').fill('1000000');
    await page.locator('#ticket button[type="submit"]').click();
    await error.getByText('INSUFFICIENT_BALANCE').waitFor({ timeout: 2_000 });
    // Refused before sending: a ticket field that is not a whole number.
    await page.locator('#ticket input[name="amount"]').fill('0.5');
    await page.locator('#ticket input[name="slippageToleranceBps"]').fill('1.5');
    await page.locator('#ticket button[type="submit"]').click();
    await error.getByText('slippage_tolerance_bps:').waitFor({ timeout: 2_000 });
    await page.locator('#ticket input[name="slippageToleranceBps"]').fill('');
    expect(await rows.count()).toBe(8);
    expect((await server.client.getPortfolio('momentum')).tradeCount).toBe('8');

    await page.locator('#ticket input[name="amount"]').fill('0.0000000001');
    await page.locator('#ticket button[type="submit"]').click();
    await error.getByText('amount:').waitFor({ timeout: 2_000 });
    await page.screenshot({ path: join(IMG, 'dashboard-portfolio.png'), fullPage: true });
  }, 60_000);
});
