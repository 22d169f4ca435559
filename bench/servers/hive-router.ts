/**
 * Hive Gateway for the benchmark, in its own process as it would be deployed: the supergraph
 * composed by the bench (SUPERGRAPH_FILE), multipart forwarded, the client's credential and CSRF
 * preflight header propagated to the subgraph. Prints its port on stdout.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const FORWARDED = ['authorization', 'x-api-key', 'apollo-require-preflight'];

async function main() {
  const gateway = createGatewayRuntime({
    supergraph: readFileSync(process.env.SUPERGRAPH_FILE!, 'utf8'),
    multipart: true,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => Object.fromEntries(FORWARDED.flatMap((h) => (request.headers.get(h) ? [[h, request.headers.get(h)!]] : []))),
    },
    logging: false,
  });
  const server = http.createServer(gateway);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
  process.on('SIGTERM', () => {
    void Promise.resolve(gateway.dispose()).then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
