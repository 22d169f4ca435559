import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { dataDirWithDemoModel, startGateway, type Running } from './helpers';

/**
 * GraphiQL in a real browser (Debian's chromium, installed by .ci/run), with the network closed
 * to everything but the gateway: the page must load from the gateway alone and run a query.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await data?.cleanup();
});

test('GraphiQL loads with no external request and runs a query', async () => {
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${gw.url}/graphql`, { waitUntil: 'networkidle' });
  await page.locator('.graphiql-execute-button').click();
  await page.locator('.result-window').getByText('"HOSTED"').waitFor({ timeout: 20_000 });
  const result = await page.locator('.result-window').innerText();
  expect(result).toContain('"name": "demo"');

  const external = requests.filter((u) => !u.startsWith(gw.url) && !u.startsWith('data:'));
  expect(external).toEqual([]);
  expect(requests.filter((u) => u.includes('/graphiql-assets/'))).toHaveLength(4);
  expect(errors).toEqual([]);
  await page.close();
});
