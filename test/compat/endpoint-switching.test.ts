import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateProjectCommand } from '@aws-sdk/client-lookoutvision';
import { startGateway, type Running } from '../gateway/helpers';
import { ACCESS_KEY, client, LFV_ACCESS_KEYS } from './helpers';

/**
 * Former Lookout for Vision users switch with no code change: the AWS SDK for JavaScript, built
 * with no endpoint in code, reaches the gateway from the environment alone, by each of the three
 * routes the SDK reads (service-specific variable, global variable, a profile's `services`
 * section). Each runs in its own process, as a user's program would, with requests signed and
 * verified.
 */

const PROGRAM = `
const { LookoutVisionClient, ListProjectsCommand } = require('@aws-sdk/client-lookoutvision');
new LookoutVisionClient({})
  .send(new ListProjectsCommand({}))
  .then((r) => process.stdout.write(JSON.stringify(r.Projects.map((p) => p.ProjectName))), (e) => { process.stderr.write(String(e)); process.exit(1); });
`;

let dir: string;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-switch-'));
  gw = await startGateway(join(dir, 'data'), { LFV_ACCESS_KEYS });
  const lfv = client(gw.url);
  await lfv.send(new CreateProjectCommand({ ProjectName: 'switched' }));
  lfv.destroy();
});

afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

function runProgram(env: Record<string, string>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROGRAM], {
      cwd: join(__dirname, '..', '..'),
      // Nothing of this process's environment: only what a user's deployment would set.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: ACCESS_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ACCESS_KEY.secretAccessKey,
        ...env,
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

test('AWS_ENDPOINT_URL_LOOKOUTVISION alone points the SDK at the gateway', async () => {
  expect(await runProgram({ AWS_ENDPOINT_URL_LOOKOUTVISION: gw.url })).toEqual(['switched']);
});

test('AWS_ENDPOINT_URL alone does too', async () => {
  expect(await runProgram({ AWS_ENDPOINT_URL: gw.url })).toEqual(['switched']);
});

test("a profile's services section does too", async () => {
  const config = join(dir, 'aws-config');
  const credentials = join(dir, 'aws-credentials');
  await writeFile(config, `[profile line]\nregion = us-east-1\nservices = gateway\n\n[services gateway]\nlookoutvision =\n  endpoint_url = ${gw.url}\n`);
  await writeFile(credentials, `[line]\naws_access_key_id = ${ACCESS_KEY.accessKeyId}\naws_secret_access_key = ${ACCESS_KEY.secretAccessKey}\n`);
  // With a profile named, the SDK takes its keys from the profile, as a developer's machine has them.
  expect(
    await runProgram({
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_PROFILE: 'line',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    }),
  ).toEqual(['switched']);
});

test('without any of them the SDK would go to AWS: the switch is what the variables do', async () => {
  // Pointed at a closed port by the global variable, the service-specific one still wins.
  expect(await runProgram({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_LOOKOUTVISION: gw.url })).toEqual(['switched']);
  await expect(runProgram({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })).rejects.toThrow(/ECONNREFUSED|connect/);
});
