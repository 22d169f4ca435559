import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { Kind, type GraphQLError, type OperationDefinitionNode } from 'graphql';
import { isAppError } from '../errors';
import type { Metrics } from '../lib/metrics';
import type { GraphQLContext } from './context';

/**
 * Counts each GraphQL operation by what it asked for and how it ended. The label is the
 * operation's root fields (`mutation detectAnomalies`), not its client-chosen name: a bounded
 * set a dashboard can group by, that no client can blow up with random names.
 */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, errors }) {
          metrics.requests.inc({ operation: label(operation), outcome: errors?.length ? codeOf(errors[0]) : 'ok' });
        },
      };
    },
  };
}

/** The code the client sees: a resolver's AppError is still wrapped here (formatError unwraps it later). */
function codeOf(error: GraphQLError): string {
  const original = unwrapResolverError(error);
  if (isAppError(original)) return original.code;
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

const MAX_FIELDS = 3;

/** Apollo keeps one parsed document per query text, so each operation is labelled once, not per request. */
const labels = new WeakMap<OperationDefinitionNode, string>();

function label(operation: OperationDefinitionNode | undefined): string {
  if (!operation) return 'invalid'; // not parsed or not valid: no fields to name
  let known = labels.get(operation);
  if (known === undefined) {
    known = labelOf(operation);
    labels.set(operation, known);
  }
  return known;
}

function labelOf(operation: OperationDefinitionNode): string {
  const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  const unique = [...new Set(fields)].sort();
  const shown = unique.slice(0, MAX_FIELDS).join(',') + (unique.length > MAX_FIELDS ? ',...' : '');
  return `${operation.operation} ${shown || '(fragments)'}`;
}
