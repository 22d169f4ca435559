import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateProjectCommand, ListProjectsCommand } from '@aws-sdk/client-lookoutvision';
import { startGateway, type Running } from '../gateway/helpers';
import { client, LFV_ACCESS_KEYS, thrown } from '../compat/helpers';
import { freshDatabase } from '../helpers/postgres';

/**
 * The database lost while the gateway runs, through a TCP relay to the real PostgreSQL that the
 * test cuts and restores: readiness says so, writes fail with a typed error, reads of what is
 * known still answer, and everything recovers without a restart.
 */

let dir: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let relay: Relay;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-outage-'));
  db = await freshDatabase();
  const target = new URL(db.url);
  relay = await Relay.open(target.hostname, Number(target.port || 5432));
  target.host = `127.0.0.1:${relay.port}`;
  gw = await startGateway(join(dir, 'data'), { DATABASE_URL: target.toString(), LFV_ACCESS_KEYS });
});

afterAll(async () => {
  await gw?.stop();
  await relay?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const ready = async () => (await fetch(`${gw.url}/readyz`)).status;

test('readiness, typed errors and recovery around a database outage', async () => {
  await client(gw.url).send(new CreateProjectCommand({ ProjectName: 'before' }));
  expect(await ready()).toBe(200);

  await relay.cut();
  expect(await ready()).toBe(503);
  const refused = await thrown(() => client(gw.url).send(new CreateProjectCommand({ ProjectName: 'during' })));
  // The protocol answers as the service modelled it (InternalServerException, 500: SDKs retry it).
  expect(refused.name).toBe('InternalServerException');
  expect(refused.$metadata.httpStatusCode).toBe(500);
  expect(refused.message).toMatch(/cannot reach its database/);
  // What the replica already knows is still answered.
  expect((await client(gw.url).send(new ListProjectsCommand({}))).Projects?.map((p) => p.ProjectName)).toEqual(['before']);

  await relay.restore();
  const until = Date.now() + 20_000;
  while ((await ready()) !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(await ready()).toBe(200);
  await client(gw.url).send(new CreateProjectCommand({ ProjectName: 'after' }));
  expect((await client(gw.url).send(new ListProjectsCommand({}))).Projects?.map((p) => p.ProjectName).sort()).toEqual(['after', 'before']);
});

/** Forwards TCP to PostgreSQL; `cut` drops every connection and refuses new ones until `restore`. */
class Relay {
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;

  private constructor(
    private readonly host: string,
    private readonly targetPort: number,
    public port = 0,
  ) {}

  static async open(host: string, port: number): Promise<Relay> {
    const r = new Relay(host, port);
    await r.listen();
    return r;
  }

  private listen(): Promise<void> {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(this.targetPort, this.host);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    return new Promise((resolve) =>
      this.server.listen(this.port, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }

  async cut(): Promise<void> {
    const closed = new Promise((r) => this.server.close(r));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  restore(): Promise<void> {
    return this.listen();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
