import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { Upload } from 'graphql-upload-minimal';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { createContext, type GraphQLContext } from '../../src/graphql/context';
import { apolloOptions } from '../../src/graphql/apollo-options';
import { createServices } from '../../src/services';
import { png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel } from './helpers';

/** The policies around management, in process: production needs a token; autostart can be off. */

let data: { path: string; cleanup: () => Promise<void> };
let apollo: ApolloServer<GraphQLContext>;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  apollo = new ApolloServer<GraphQLContext>(apolloOptions(loadConfig({ LOG_LEVEL: 'silent' }), pino({ level: 'silent' })));
  await apollo.start();
});

afterAll(async () => {
  await apollo?.stop();
  await data?.cleanup();
});

async function withServices(
  env: Record<string, string>,
  fn: (run: (query: string, variables?: Record<string, unknown>) => Promise<any>, services: Awaited<ReturnType<typeof createServices>>) => Promise<void>,
) {
  const services = await createServices(loadConfig({ DATA_DIR: data.path, DEMO_MODEL: 'false', LOG_LEVEL: 'silent', ...env }), pino({ level: 'silent' }));
  try {
    await fn(async (query, variables) => {
      const res = await apollo.executeOperation(
        { query, variables },
        { contextValue: createContext(services, { baseUrl: 'http://gw.test', principal: await services.auth.authenticate({}) }) },
      );
      if (res.body.kind !== 'single') throw new Error('expected a single result');
      return res.body.singleResult;
    }, services);
  } finally {
    await services.close();
  }
}

function upload(bytes: Buffer): Upload {
  const u = new Upload() as Upload & { resolve(file: unknown): void };
  u.resolve({ filename: 'x.png', encoding: '7bit', fieldName: 'image', mimetype: 'image/png', createReadStream: () => Readable.from([bytes]) });
  return u;
}

const DETECT = `mutation D($image: Upload!) { detectAnomalies(input: { image: $image, projectName: "demo", modelVersion: "1" }) { isAnomalous model { status } } }`;

test('in production without GRAPHQL_ADMIN_TOKEN, management is refused and says why', async () => {
  await withServices({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://lookout.example' }, async (run) => {
    const r = await run(`mutation { createProject(name: "prod") { name } }`);
    expect(r.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(r.errors[0].message).toMatch(/GRAPHQL_ADMIN_TOKEN/);
    expect((await run(`{ project(name: "prod") { name } }`)).data.project).toBeNull();
  });
});

test('with AUTOSTART_MODELS=false a stopped model is MODEL_NOT_RUNNING, as on the protocol path; with it on, the model starts', async () => {
  await withServices({ AUTOSTART_MODELS: 'false' }, async (run, services) => {
    await services.projects!.models.stop('demo', '1');
    await services.projects!.models.settled();
    const r = await run(DETECT, { image: upload(await png(textureRgb(5))) });
    expect(r.errors[0].extensions).toMatchObject({ code: 'MODEL_NOT_RUNNING', resourceType: 'MODEL', resourceId: 'demo/1', status: 'TRAINED' });
  });
  await withServices({}, async (run) => {
    expect((await run(`{ model(projectName: "demo", version: "1") { status } }`)).data.model.status).toBe('TRAINED');
    const r = await run(DETECT, { image: upload(await png(textureRgb(5))) });
    expect(r.errors).toBeUndefined();
    expect(r.data.detectAnomalies.model.status).toBe('HOSTED');
  });
});

test('models the CLI puts in the data folder while the gateway runs appear, without disturbing known ones', async () => {
  await withServices({}, async (run) => {
    // What `lookout-engine train --out DATA_DIR/projects/<p>/models/<v>` leaves behind.
    await cp(join(data.path, 'projects', 'demo', 'models', '1'), join(data.path, 'projects', 'demo', 'models', '2'), { recursive: true });
    await cp(join(data.path, 'projects', 'demo', 'models', '1'), join(data.path, 'projects', 'from-cli', 'models', '1'), { recursive: true });
    expect((await run(`{ model(projectName: "demo", version: "2") { version status type } }`)).data.model).toEqual({
      version: '2',
      status: 'HOSTED',
      type: 'SEGMENTATION',
    });
    expect((await run(`{ model(projectName: "from-cli", version: "latest") { version status } }`)).data.model).toEqual({ version: '1', status: 'HOSTED' });
    expect((await run(`{ model(projectName: "demo", version: "latest") { version } }`)).data.model.version).toBe('2');
    expect((await run(`{ projects { name } }`)).data.projects.map((p: { name: string }) => p.name)).toEqual(['demo', 'from-cli']);
  });
  await rm(join(data.path, 'projects', 'demo', 'models', '2'), { recursive: true });
  await rm(join(data.path, 'projects', 'from-cli'), { recursive: true });
});
