import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';

/**
 * A second, small subgraph, as another team's service might be: production-line inspections
 * that point at the gateway's detection results by id and never store them.
 */
const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Inspection @key(fields: "id") {
    id: ID!
    line: String!
    detection: DetectionResult!
  }

  type DetectionResult @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Query {
    inspection(id: ID!): Inspection
  }
`);

export async function startInspectionsSubgraph(inspections: Record<string, { line: string; detectionId: string }>) {
  const server = new ApolloServer({
    schema: buildSubgraphSchema([
      {
        typeDefs,
        resolvers: {
          Query: {
            inspection: (_: unknown, { id }: { id: string }) => (inspections[id] ? { id, ...inspections[id] } : null),
          },
          Inspection: {
            detection: (i: { detectionId: string }) => ({ __typename: 'DetectionResult', id: i.detectionId }),
          },
        },
      },
    ]),
  });
  await server.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(server));
  const httpServer = http.createServer(app);
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`,
    async stop() {
      await server.stop();
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
    },
  };
}
