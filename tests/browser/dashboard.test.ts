import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../../src/app/run.ts';
import { loadConfig } from '../../src/config/load.ts';
import { rootLogger } from '../../src/log.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { keepOpen } from '../support/pipeline.ts';

/**
 * The dashboard in a real browser: Debian's chromium (installed by .ci/run) driven by Playwright, on a
 * running system (the embedded pipeline on simulated ticks, eager strategies, an in-memory database).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let base = '';
let login: { user: string; password: string } | undefined;
let result: Promise<RunResult>;
let browser: Browser;
let page: Page;
const stop = new AbortController();
const transport = keepOpen(makeTransport('memory'));

beforeAll(async () => {
  const config = loadConfig({}, { trading: { strategiesFile: 'tests/fixtures/eager-strategies.yaml' }, database: { enabled: true, dir: 'memory://' }, http: { port: 0, traceUiUrl: 'http://jaeger.test:16686' }, feed: { sim: { ticksPerSecond: 400 } } });
  result = run({ config, feed: { kind: 'sim' }, stopWhenReplayed: false, status: false, log: rootLogger, transport, signal: stop.signal, onHttp: (h) => ((base = h.url), (login = h.generated)) });
  result.catch(() => undefined);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage();
  await waitFor(() => base !== '', 'the dashboard listening', 60_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  stop.abort();
  await result?.catch(() => undefined);
  await transport.closeNow();
});

/** The page reacts within a second; a loaded machine gets ten. */
const WAIT = { timeout: 10_000 };
const pnlText = () => page.getByTestId('pnl-paper').textContent();

describe('dashboard', () => {
  it('loads, asks for a log-in, refuses a wrong password and lets the right one in', async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => page.getByTestId('login').isVisible(), WAIT).toBe(true);
    await page.fill('input[name=username]', login!.user);
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error'), WAIT).toContain('wrong password');
    await page.fill('input[name=password]', login!.password);
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.getByTestId('namespaces').isVisible(), WAIT).toBe(true);
  });

  it('shows paper P&L and the recent fills updating from the running pipeline', async () => {
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 20_000 }).toMatch(/^running/);
    await expect.poll(() => page.locator('[data-testid=event-order_filled]').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const first = await pnlText();
    expect(first).toMatch(/₹/);
    // The P&L moves as prices and fills do (marked to the last price every second).
    await expect.poll(pnlText, { timeout: 30_000, interval: 500 }).not.toBe(first);
    const statusBefore = await page.getByTestId('status').textContent();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 5000 }).not.toBe(statusBefore);
  });

  it('disables a strategy from its row, which the API then reports switched off', async () => {
    const row = page.getByTestId('strategy-eager-meanrev');
    await expect.poll(() => row.getByTestId('enabled').textContent(), WAIT).toBe('yes');
    await row.getByTestId('toggle').click();
    await expect.poll(() => row.getByTestId('enabled').textContent(), { timeout: 10_000 }).toBe('no');
    const tokens = JSON.parse((await page.evaluate(() => sessionStorage.getItem('alpha-panda-tokens')))!) as { access_token: string };
    const res = await fetch(`${base}/api/strategies/eager-meanrev`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(((await res.json()) as { strategy: { active: boolean } }).strategy.active).toBe(false);
    await expect.poll(() => row.getByTestId('toggle').textContent(), WAIT).toBe('enable');
  });

  it('opens a chain from a fill: signal, verdict, order and fill with the time of each hop', async () => {
    const correlation = await page.locator('[data-testid=event-order_filled]').first().getAttribute('data-correlation');
    // The list is redrawn every second: the row is found again by its chain at the click.
    await page.locator(`[data-testid=event-order_filled][data-correlation="${correlation}"]`).first().click();
    await expect.poll(() => page.getByTestId('chain').isVisible(), { timeout: 10_000 }).toBe(true);
    for (const hop of ['trading_signal', 'validated_signal', 'order_placed', 'order_filled']) await expect.poll(() => page.getByTestId('chain').getByTestId(`hop-${hop}`).count(), WAIT).toBeGreaterThan(0);
    // The trace link searches the tracing UI for the chain's spans by its correlation id.
    await expect.poll(() => page.locator('#chain-id').textContent(), WAIT).toContain(correlation!);
    const href = new URL((await page.locator('#chain-trace').getAttribute('href'))!);
    expect(href.origin + href.pathname).toBe('http://jaeger.test:16686/search');
    expect(href.searchParams.get('service')).toBe('alpha-panda');
    expect(JSON.parse(href.searchParams.get('tags')!)).toEqual({ 'alpha_panda.correlation_id': correlation });
  });
});
