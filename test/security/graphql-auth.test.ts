import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { loadConfig } from '../../src/config';
import { png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, detect, startGateway, type Running } from '../gateway/helpers';

/**
 * GraphQL in production, as deployed: every call needs a credential (API keys, JWTs verified
 * against a JWKS served by a real HTTP peer, or the admin token), and each credential may do
 * what its scopes say, per project. The schema is for routers and administrators.
 */

const secret = (name: string) => `${name}-secret-0123456789abcdefghijklmnop`;
const KEYS = [
  `detector:${secret('detector')}:detect:demo`,
  `reader:${secret('reader')}:read:demo`,
  `ops:${secret('ops')}:router`,
  // Rotation: the old and the new key, side by side, with the same scopes.
  `cam-old:${secret('cam-old')}:detect:*`,
  `cam-new:${secret('cam-new')}:detect:*`,
].join(',');
const ADMIN_TOKEN = 'admin-token-for-auth-tests-0123456789';
const ISSUER = 'https://idp.example/';
const AUDIENCE = 'lookout-gateway';

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;
let jwks: Server;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let signingKey: PrivateKey;
let strangerKey: PrivateKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path, {
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'https://lookout.example',
    API_KEYS: KEYS,
    GRAPHQL_ADMIN_TOKEN: ADMIN_TOKEN,
    JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
});

afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => jwks?.close(r));
  await data?.cleanup();
});

async function gql(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const key = (name: string) => ({ 'x-api-key': secret(name) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function jwt(claims: Record<string, unknown>, o: { key?: PrivateKey; expires?: string; audience?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setSubject('camera-7')
    .setIssuedAt()
    .setExpirationTime(o.expires ?? '5m')
    .sign(o.key ?? signingKey);
}

test('anonymous calls are refused, and a wrong key is not taken for none', async () => {
  const image = await png(textureRgb(11));
  const anonymous = await detect(gw.url, image);
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect((await gql('{ projects { name } }')).status).toBe(401);
  const wrong = await gql('{ projects { name } }', { 'x-api-key': 'not-a-key' });
  expect(wrong.status).toBe(401);
  expect(wrong.body.errors[0].message).toMatch(/x-api-key/);
});

test('each key may do what its scopes say, per project', async () => {
  const image = await png(textureRgb(12));
  const detected = await detect(gw.url, image, { headers: { 'apollo-require-preflight': 'true', ...key('detector') } });
  expect(detected.status).toBe(200);
  expect(typeof detected.body.data.detectAnomalies.isAnomalous).toBe('boolean');
  // detect:demo does not read.
  expect((await gql('{ projects { name } }', key('detector'))).body.data.projects).toEqual([]);
  // A model it may not read answers null, as a missing one does: the answer does not tell which.
  expect((await gql('{ model(projectName: "demo") { version } }', key('detector'))).body.data.model).toBeNull();
  expect((await gql('{ model(projectName: "demo") { version } }', key('reader'))).body.data.model).toEqual({ version: '1' });
  // read:demo does not detect, and does not manage.
  const readerDetect = await detect(gw.url, image, { headers: { 'apollo-require-preflight': 'true', ...key('reader') } });
  expect(readerDetect.body.errors[0].extensions.code).toBe('FORBIDDEN');
  expect(readerDetect.body.errors[0].message).toMatch(/detect:demo/);
  expect((await gql('{ projects { name } }', key('reader'))).body.data.projects).toEqual([{ name: 'demo' }]);
  expect((await gql('mutation { createProject(name: "x1") { name } }', key('reader'))).body.errors[0].extensions.code).toBe('FORBIDDEN');
  // The detection it may not read is null, as an unknown one is.
  const id = detected.body.data.detectAnomalies.id;
  expect((await gql(`{ detection(id: "${id}") { id } }`, key('ops'))).body.data.detection).toBeNull();
  expect((await gql(`{ detection(id: "${id}") { id } }`, key('reader'))).body.data.detection).toEqual({ id });
  // Rotation: old and new key both work while both are listed.
  for (const k of ['cam-old', 'cam-new'])
    expect((await detect(gw.url, image, { headers: { 'apollo-require-preflight': 'true', ...key(k) } })).status).toBe(200);
});

test('the schema is for routers and administrators; suggestions are off', async () => {
  const sdl = '{ _service { sdl } }';
  expect((await gql(sdl, key('reader'))).body.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  expect((await gql(sdl, key('ops'))).body.data._service.sdl).toMatch(/detectAnomalies/);
  expect((await gql(sdl, bearer(ADMIN_TOKEN))).body.data._service.sdl).toMatch(/createProject/);
  // A fragment does not hide introspection.
  const hidden = await gql('query { ...F } fragment F on Query { __schema { types { name } } }', key('reader'));
  expect(hidden.status).toBe(403);
  expect((await gql('{ __schema { queryType { name } } }', key('ops'))).body.data.__schema.queryType.name).toBe('Query');
  expect((await gql('{ projcts { name } }', key('reader'))).body.errors[0].message).not.toMatch(/Did you mean/);
});

test('JWTs verified against the JWKS carry their scopes; bad ones are refused with the reason', async () => {
  const image = await png(textureRgb(13));
  const ok = await detect(gw.url, image, { headers: { 'apollo-require-preflight': 'true', ...bearer(await jwt({ scope: 'detect:demo read:demo' })) } });
  expect(ok.status).toBe(200);
  expect((await gql('{ projects { name } }', bearer(await jwt({ scp: ['read:demo'] })))).body.data.projects).toEqual([{ name: 'demo' }]);
  const refusals: [string, Promise<string>, RegExp][] = [
    ['expired', jwt({ scope: 'read:demo' }, { expires: '-10m' }), /expired/],
    ['another audience', jwt({ scope: 'read:demo' }, { audience: 'someone-else' }), /"aud" claim/],
    ['signed by a stranger', jwt({ scope: 'read:demo' }, { key: strangerKey }), /not valid/],
  ];
  for (const [, token, why] of refusals) {
    const r = await gql('{ projects { name } }', bearer(await token));
    expect(r.status).toBe(401);
    expect(r.body.errors[0].message).toMatch(why);
  }
});

test('the admin token manages; readiness details need an operator', async () => {
  expect((await gql('mutation { createProject(name: "by-admin") { name } }', bearer(ADMIN_TOKEN))).body.data.createProject.name).toBe('by-admin');
  const anonymous = (await (await fetch(`${gw.url}/readyz`)).json()) as any;
  expect(anonymous).toEqual({ status: 'ready' });
  const ops = (await (await fetch(`${gw.url}/readyz`, { headers: key('ops') })).json()) as any;
  expect(ops.backend.id).toBe('local');
});

test('production refuses to start without PUBLIC_BASE_URL, and API_KEYS are checked', () => {
  expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PUBLIC_BASE_URL: is required in production/);
  expect(() => loadConfig({ API_KEYS: 'a:short:admin,b:0123456789abcdef0123456789abcdef:write:x' })).toThrow(
    /at least 32 characters[\s\S]*unknown scope "write:x"/,
  );
});
