import { serverAudits } from 'graphql-http';
import { dataDirWithDemoModel, startGateway, type Running } from './helpers';

/**
 * The GraphQL over HTTP spec's own audit suite (graphql-http) against /graphql on a real socket:
 * every MUST holds. SHOULD and MAY results are printed when they fail, not asserted.
 */

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

test('0 MUST failures in the GraphQL over HTTP audit', async () => {
  const results = await Promise.all(
    serverAudits({ url: `${gw.url}/graphql`, fetchFn: fetch }).map(async (audit) => ({ ...(await audit.fn()), name: audit.name })),
  );
  const failed = results.filter((r) => r.status !== 'ok');
  const mustFailures = failed.filter((r) => r.name.startsWith('MUST')).map((r) => `${r.name}: ${'reason' in r ? r.reason : ''}`);
  expect(mustFailures).toEqual([]);
  // At least the MUSTs were run, so an empty list above means something.
  expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThan(10);
});
