import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { resolvers } from './resolvers';

/** The SDL in schema/ is the contract; resolvers are typed from it by codegen. */
export function loadTypeDefs() {
  // src/graphql -> repo root; the same from dist/graphql.
  return parse(readFileSync(join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8'));
}

export function buildSchema() {
  // The array form: the single-object form was dropped in @apollo/subgraph 2.15.
  return buildSubgraphSchema([{ typeDefs: loadTypeDefs(), resolvers: resolvers as never }]);
}
