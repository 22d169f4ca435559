import { getIntrospectionQuery } from 'graphql';
import { copyOfDataDir, dataDirWithDemoModel, startGateway, type Running } from '../gateway/helpers';

/**
 * Documents built to be expensive are refused before they run, cheaply, with Apollo's standard
 * codes; /healthz keeps answering meanwhile; ordinary documents (GraphiQL's introspection, a
 * router's `_service`) pass.
 */

const KEY = 'query-limits-test-key-0123456789abcdef';
let data: { path: string; cleanup: () => Promise<void> };
let prodData: { path: string; cleanup: () => Promise<void> };
let dev: Running;
let prod: Running;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  prodData = await copyOfDataDir(data.path);
  dev = await startGateway(data.path, { API_KEYS: `reader:${KEY}:read:*+router` });
  prod = await startGateway(prodData.path, { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://lookout.example', API_KEYS: `reader:${KEY}:read:*+router` });
});

afterAll(async () => {
  await dev?.stop();
  await prod?.stop();
  await data?.cleanup();
  await prodData?.cleanup();
});

async function post(gw: Running, query: string) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test.each([
  ['8,000 repeated selections (160 KB)', `{ ${'projects { name } '.repeat(8_000)} }`, 'GRAPHQL_PARSE_FAILED', /more that 2000 tokens/],
  ['2,000 aliases', `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: __typename`).join(' ')} }`, 'GRAPHQL_PARSE_FAILED', /more that 2000 tokens/],
  ['100 aliases', `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: projects { name }`).join(' ')} }`, 'GRAPHQL_VALIDATION_FAILED', /Aliases limit/i],
  [
    'depth 30',
    `{ __schema { ${'types { fields { type { '.repeat(5)} name ${'} } }'.repeat(5)} } }`.replace('__schema', 'x: __type(name: "Query")'),
    'GRAPHQL_VALIDATION_FAILED',
    /depth/i,
  ],
])('%s is refused, and /healthz answers meanwhile', async (_name, query, code, message) => {
  const [refused, health] = await Promise.all([post(dev, query), fetch(`${dev.url}/healthz`)]);
  expect(health.status).toBe(200);
  expect(refused.status).toBe(400);
  expect(refused.body.errors[0].extensions.code).toBe(code);
  expect(refused.body.errors[0].message).toMatch(message);
});

test("GraphiQL's introspection query still passes", async () => {
  const r = await post(dev, getIntrospectionQuery());
  expect(r.status).toBe(200);
  expect(r.body.data.__schema.queryType.name).toBe('Query');
});

test('field suggestions are given in development and withheld in production', async () => {
  const devReply = await post(dev, '{ projcts { name } }');
  expect(devReply.body.errors[0].message).toMatch(/Did you mean "projects"/);
  const prodReply = await post(prod, '{ projcts { name } }');
  expect(prodReply.status).toBe(400);
  expect(prodReply.body.errors[0].message).not.toMatch(/Did you mean/);
});
