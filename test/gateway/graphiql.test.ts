import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { copyOfDataDir, dataDirWithDemoModel, startGateway, type Running } from './helpers';

/**
 * GraphiQL in a real browser (Debian's chromium, installed by .ci/run), with the network closed
 * to everything but the gateway: the page must load from the gateway alone and run a query.
 */

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;
let browser: Browser;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
  browser = await launchChromium();
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

test('GraphiQL opens with example operations for this schema, and says how to send an image', async () => {
  const page = await browser.newPage();
  await page.goto(`${gw.url}/graphql`, { waitUntil: 'networkidle' });
  for (const tab of ['Models', 'DetectUploaded', 'CreateUpload', 'TrainModel']) await page.locator('.graphiql-tab', { hasText: tab }).first().waitFor();
  expect(await page.locator('#bar').innerText()).toMatch(/cannot attach files/);
  await page.close();
});

test('in production with GraphiQL on, its docs pane works for a caller with any credential', async () => {
  const copy = await copyOfDataDir(data.path);
  const key = randomBytes(24).toString('hex');
  const prod = await startGateway(copy.path, {
    NODE_ENV: 'production',
    GRAPHIQL: 'true',
    PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    MASK_URL_KEYS: `k1:${randomBytes(24).toString('hex')}`,
    API_KEYS: `line:${key}:detect:demo`,
  });
  const page = await browser.newPage();
  try {
    await page.goto(`${prod.url}/graphql`, { waitUntil: 'networkidle' });
    await page.locator('#key input').fill(key);
    await page.locator('#key button').click();
    await page.waitForLoadState('networkidle');
    await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Root Types').waitFor({ timeout: 20_000 });
    expect(await docs.innerText()).toMatch(/query: Query/);
    expect(await page.getByText('Error fetching schema').count()).toBe(0);
    // Without a credential, the schema stays closed.
    const anonymous = await fetch(`${prod.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __schema { queryType { name } } }"}',
    });
    expect(anonymous.status).toBe(401);
  } finally {
    await page.close();
    await prod.stop();
    await copy.cleanup();
  }
}, 60_000);
