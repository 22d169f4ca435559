import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { defectFor, png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, detect, startGateway, type Running } from '../gateway/helpers';
import { startInspectionsSubgraph } from './inspections-subgraph';

/**
 * lookout-gateway as a federated subgraph: composed with another subgraph by @apollo/gateway
 * (over HTTP, from each subgraph's own SDL), one query crosses both.
 */

let data: { path: string; cleanup: () => Promise<void> };
let lookout: Running;
let inspections: Awaited<ReturnType<typeof startInspectionsSubgraph>>;
let router: ApolloServer;
let detectionId: string;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  lookout = await startGateway(data.path);
  // Uploads go to the subgraph directly (routers do not forward multipart); the result is then
  // reachable through the supergraph by its id.
  detectionId = (await detect(lookout.url, await png(textureRgb(99, [defectFor(8)])))).body.data.detectAnomalies.id;
  inspections = await startInspectionsSubgraph({ 'LOT-7': { line: 'oven 2', detectionId } });
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({
      subgraphs: [
        { name: 'lookout', url: `${lookout.url}/graphql` },
        { name: 'inspections', url: inspections.url },
      ],
    }),
  });
  router = new ApolloServer({ gateway });
  await router.start();
}, 60_000);

afterAll(async () => {
  await router?.stop();
  await inspections?.stop();
  await lookout?.stop();
  await data?.cleanup();
});

test('one query crosses both subgraphs', async () => {
  const res = await router.executeOperation({
    query: `{
      inspection(id: "LOT-7") {
        line
        detection { id isAnomalous anomalies { name } model { projectName version type } }
      }
      projects { name }
    }`,
  });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  expect(res.body.singleResult.errors).toBeUndefined();
  expect(res.body.singleResult.data).toEqual({
    inspection: {
      line: 'oven 2',
      detection: {
        id: detectionId,
        isAnomalous: true,
        anomalies: [{ name: 'background' }, { name: 'cracked' }],
        model: { projectName: 'demo', version: '1', type: 'SEGMENTATION' },
      },
    },
    projects: [{ name: 'demo' }],
  });
});
