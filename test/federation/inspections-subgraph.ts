import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';

/**
 * A second, small subgraph, as another team's service might be: production-line inspections
 * that point at the gateway's detection results and models by key and never store them.
 */
const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Inspection @key(fields: "id") {
    id: ID!
    line: String!
    detection: DetectionResult!
    "The model the line is approved to run."
    approvedModel: Model!
  }

  type DetectionResult @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Model @key(fields: "projectName version", resolvable: false) {
    projectName: String!
    version: String!
  }

  type Query {
    inspection(id: ID!): Inspection
    inspections: [Inspection!]!
  }

  type Mutation {
    recordInspection(id: ID!, line: String!, detectionId: ID!, projectName: String!, version: String!): Inspection!
  }
`);

interface Stored {
  line: string;
  detectionId: string;
  projectName?: string;
  version?: string;
}

export async function startInspectionsSubgraph(initial: Record<string, Stored> = {}) {
  const inspections = new Map(Object.entries(initial));
  const view = (id: string) => {
    const i = inspections.get(id);
    return i ? { id, ...i } : null;
  };
  const server = new ApolloServer({
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    schema: buildSubgraphSchema([
      {
        typeDefs,
        resolvers: {
          Query: {
            inspection: (_: unknown, { id }: { id: string }) => view(id),
            inspections: () => [...inspections.keys()].map(view),
          },
          Mutation: {
            recordInspection: (_: unknown, args: Stored & { id: string }) => {
              inspections.set(args.id, { line: args.line, detectionId: args.detectionId, projectName: args.projectName, version: args.version });
              return view(args.id);
            },
          },
          Inspection: {
            detection: (i: Stored) => ({ __typename: 'DetectionResult', id: i.detectionId }),
            approvedModel: (i: Stored) => ({ __typename: 'Model', projectName: i.projectName ?? 'demo', version: i.version ?? '1' }),
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
