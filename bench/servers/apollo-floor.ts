/**
 * Reference (c): the least an Apollo Server upload mutation can do on node:http: parse the
 * multipart body, run a one-field mutation that hashes the file, answer. No cache, no
 * detection. It shows how much of (b)'s speed any Apollo-based gateway can keep on this machine.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { GraphQLUpload, processRequest, type FileUpload } from 'graphql-upload-minimal';

const typeDefs = parse(`
  scalar Upload
  type Query { health: String }
  input DetectAnomaliesInput { image: Upload!, projectName: String! }
  type Result { id: ID!, isAnomalous: Boolean!, confidence: Float!, cached: Boolean! }
  type Mutation { detectAnomalies(input: DetectAnomaliesInput!): Result! }
`);

const resolvers = {
  Upload: GraphQLUpload,
  Mutation: {
    async detectAnomalies(_: unknown, { input }: { input: { image: Promise<FileUpload> } }) {
      const hash = createHash('sha256');
      for await (const chunk of (await input.image).createReadStream()) hash.update(chunk as Buffer);
      return { id: hash.digest('hex'), isAnomalous: true, confidence: 1, cached: true };
    },
  },
};

async function main() {
  const apollo = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]) });
  await apollo.start();
  const server = http.createServer(async (req, res) => {
    const body = await processRequest(req, res, { maxFileSize: 8 << 20, maxFiles: 1 });
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const r = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: '', body },
      context: async () => ({}),
    });
    for (const [k, v] of r.headers) res.setHeader(k, v);
    res.statusCode = r.status ?? 200;
    res.end(r.body.kind === 'complete' ? r.body.string : '');
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
