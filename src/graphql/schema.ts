import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { resolvers } from './resolvers';

/**
 * The SDL in schema/ is the contract; resolvers are typed from it by codegen. It is read from the
 * repository (or image) root, found by walking up from this file: src/graphql, dist/graphql and
 * dist-bench/src/graphql all sit below it.
 */
export function loadTypeDefs() {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'schema', 'schema.graphql');
    if (existsSync(file)) return parse(readFileSync(file, 'utf8'));
    if (dirname(dir) === dir) throw new Error(`schema/schema.graphql not found above ${__dirname}`);
  }
}

export function buildSchema() {
  // The array form: the single-object form was dropped in @apollo/subgraph 2.15.
  return buildSubgraphSchema([{ typeDefs: loadTypeDefs(), resolvers: resolvers as never }]);
}
