import { Readable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { Upload } from 'graphql-upload-minimal';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { createContext, type GraphQLContext } from '../../src/graphql/context';
import { apolloOptions } from '../../src/graphql/apollo-options';
import { createServices } from '../../src/services';
import { defectFor, png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel } from './helpers';

/** Resolvers in process through Apollo's executeOperation: no sockets, no multipart parser. */

let data: { path: string; cleanup: () => Promise<void> };
let services: Awaited<ReturnType<typeof createServices>>;
let apollo: ApolloServer<GraphQLContext>;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  services = await createServices(loadConfig({ DATA_DIR: data.path, DEMO_MODEL: 'false', LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  apollo = new ApolloServer<GraphQLContext>(apolloOptions(loadConfig({ LOG_LEVEL: 'silent' }), pino({ level: 'silent' })));
  await apollo.start();
});

afterAll(async () => {
  await apollo?.stop();
  await services?.close();
  await data?.cleanup();
});

async function run(query: string, variables?: Record<string, unknown>) {
  const res = await apollo.executeOperation(
    { query, variables },
    { contextValue: createContext(services, { baseUrl: 'http://gw.test', principal: await services.auth.authenticate({}) }) },
  );
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return res.body.singleResult as { data?: any; errors?: any[] };
}

/** What graphql-upload-minimal puts in the variables for each file part of a multipart request. */
function uploadOf(file: { mimetype: string; createReadStream: () => Readable }): Upload {
  // The typings omit `resolve`, which processRequest calls when the file part arrives.
  const u = new Upload() as Upload & { resolve(file: unknown): void };
  u.resolve({ filename: 'x.png', encoding: '7bit', fieldName: 'image', ...file });
  return u;
}

const upload = (bytes: Buffer, mimetype = 'image/png') => uploadOf({ mimetype, createReadStream: () => Readable.from([bytes]) });

test('projects, models and the model behind "latest"', async () => {
  const r = await run(
    '{ projects { name models { version status } } model(projectName: "demo") { version type anomalyTypes { name color } performance { f1Score testNormalImages } } }',
  );
  expect(r.errors).toBeUndefined();
  expect(r.data.projects).toEqual([{ name: 'demo', models: [{ version: '1', status: 'HOSTED' }] }]);
  expect(r.data.model).toMatchObject({ version: '1', type: 'SEGMENTATION', anomalyTypes: [{ name: 'cracked', color: '#23A436' }] });
  expect(r.data.model.performance.testNormalImages).toBeGreaterThan(0);
});

test('unknown projects and models', async () => {
  const r = await run('{ models(projectName: "ghost") { version } }');
  expect(r.errors?.[0].extensions.code).toBe('MODEL_NOT_FOUND');
  expect((await run('{ model(projectName: "demo", version: "7") { version } }')).data.model).toBeNull();
  expect((await run('{ detection(id: "nope") { id } }')).data.detection).toBeNull();
});

test('detectAnomalies, then the result as a federation entity', async () => {
  const r = await run(
    'mutation($i: Upload!){ detectAnomalies(input: { image: $i, projectName: "demo" }) { id isAnomalous anomalyMask { url } model { version } } }',
    {
      i: upload(await png(textureRgb(61, [defectFor(3)]))),
    },
  );
  expect(r.errors).toBeUndefined();
  const { id, isAnomalous, anomalyMask, model } = r.data.detectAnomalies;
  expect(isAnomalous).toBe(true);
  expect(model.version).toBe('1');
  expect(anomalyMask.url).toMatch(new RegExp(`^http://gw.test/masks/${id}/all.png\\?exp=\\d+&kid=ephemeral&sig=`));
  const e = await run('query($r: [_Any!]!){ _entities(representations: $r) { ... on DetectionResult { id cached isAnomalous } } }', {
    r: [{ __typename: 'DetectionResult', id }],
  });
  expect(e.data._entities).toEqual([{ id, cached: true, isAnomalous: true }]);
});

test('an unexpected failure is masked as INTERNAL_SERVER_ERROR', async () => {
  const r = await run('mutation($i: Upload!){ detectAnomalies(input: { image: $i, projectName: "demo" }) { id } }', {
    i: uploadOf({
      mimetype: 'image/png',
      createReadStream: () => {
        throw new Error('disk on fire');
      },
    }),
  });
  expect(r.errors?.[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  expect(JSON.stringify(r.errors)).not.toMatch(/disk on fire/);
});
