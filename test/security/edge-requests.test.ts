import { connect } from 'node:net';
import pino from 'pino';
import { png, textureRgb } from '../helpers/images';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/server';
import { createServices } from '../../src/services';
import { copyOfDataDir, dataDirWithDemoModel, postMultipart, startGateway, type Running } from '../gateway/helpers';

/** Odd but harmless requests get typed 4xx answers, never a 500, and a client leaving is no error. */

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
});

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

test('one upload used in two places is BAD_USER_INPUT, and the rest of the answer survives', async () => {
  const image = await png(textureRgb(21));
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: 'mutation B($a: [Upload!]!) { detectAnomaliesBatch(input: { images: $a, projectName: "demo" }) { index error { code } result { isAnomalous } } }',
      variables: { a: [null, null] },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.a.0', 'variables.a.1'] }));
  form.append('0', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'a.png');
  const r = await postMultipart(gw.url, form);
  expect(r.status).toBe(200);
  const items = r.body.data.detectAnomaliesBatch;
  expect(items).toHaveLength(2);
  expect(items[0].result).not.toBeNull();
  expect(items[1].error.code).toBe('BAD_USER_INPUT');
});

test('a malformed mask path is 400', async () => {
  const r = await fetch(`${gw.url}/masks/abc/%ZZ.png`);
  expect(r.status).toBe(400);
});

test('a 100 KB project name is not echoed back whole', async () => {
  const name = 'x'.repeat(100_000) + '!';
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($n: String!) { createProject(name: $n) { name } }', variables: { n: name } }),
  });
  const body = (await res.json()) as any;
  expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect(body.errors[0].message.length).toBeLessThan(1200);
});

test('a client leaving mid-upload or mid-detection is logged at info, not as an error', async () => {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const folder = await copyOfDataDir(data.path);
  const config = loadConfig({ DATA_DIR: folder.path, DEMO_MODEL: 'false', HOST: '127.0.0.1' });
  const own = await createGateway(await createServices(config, log));
  const port = await own.listen(0, '127.0.0.1');
  try {
    const image = await png(textureRgb(22));
    const boundary = 'leaving';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: 'mutation($f: Upload!) { detectAnomalies(input: { image: $f, projectName: "demo" }) { isAnomalous } }', variables: { f: null } })}\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const send = (body: Buffer, length: number) =>
      new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(
            `POST /graphql HTTP/1.1\r\nHost: x\r\napollo-require-preflight: true\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`,
          );
          s.write(body);
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 150);
        });
      });
    const whole = Buffer.concat([Buffer.from(head), image, Buffer.from(tail)]);
    await send(whole.subarray(0, head.length + 100), whole.length); // leaves mid-upload
    await send(whole, whole.length); // leaves while the detection runs or after
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  } finally {
    await own.stop();
    await folder.cleanup();
  }
});
