import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, GraphQLError, visit, type DocumentNode } from 'graphql';
import { isOperator } from '../auth/principal';
import type { GraphQLContext } from './context';

/** Fields that hand out the schema itself. */
const SCHEMA_FIELDS = new Set(['__schema', '__type', '_service']);

/**
 * The schema (introspection, federation's `_service { sdl }`) is for routers and administrators.
 * In production it used to be served to anyone, admin mutations included, which maps the API for
 * a stranger. Where GraphiQL is on, its docs pane needs introspection, so any caller with a
 * credential may introspect (still never an anonymous one; `_service` stays with operators).
 * The whole document is visited, so a fragment cannot hide `__schema`.
 */
export function schemaAccess(graphiql: boolean): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          const principal = contextValue.principal;
          if (isOperator(principal)) return;
          const asked = schemaFieldIn(document);
          if (asked && graphiql && asked !== '_service' && principal && principal.kind !== 'open-development') return;
          if (asked) {
            const who = graphiql && asked !== '_service' ? 'any credential (an API key, a JWT)' : 'a credential with the router or admin scope';
            throw new GraphQLError(`${asked} needs ${who}.`, {
              extensions: { code: 'FORBIDDEN', requiredScope: 'router', http: { status: 403 } },
            });
          }
        },
      };
    },
  };
}

/** Apollo keeps one parsed document per query text, so each document is visited once, not once per request. */
const visited = new WeakMap<DocumentNode, string | null>();

function schemaFieldIn(document: DocumentNode): string | null {
  let asked = visited.get(document);
  if (asked !== undefined) return asked;
  asked = null;
  visit(document, {
    Field(node) {
      if (!SCHEMA_FIELDS.has(node.name.value)) return undefined;
      asked = node.name.value;
      return BREAK;
    },
  });
  visited.set(document, asked);
  return asked;
}
