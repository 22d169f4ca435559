import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '../config';

/**
 * Limits on the shape of a GraphQL document, checked before anything runs. One 0.9 MB query
 * (30,000 repeated fields, or 5,000 aliases) once held the event loop for 2.6-4.6 s, /healthz
 * included. graphql-armor stops the token count while parsing, so a huge document costs little
 * before it is refused; depth, aliases, directives and cost are validation rules. A refused
 * document is GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED (400), as any malformed one is.
 *
 * Introspection is exempt from depth and cost (GraphiQL's own query is deep); field suggestions
 * ("Did you mean ...") are turned off in production, where they map the schema for a stranger.
 */
export function queryLimits(config: Config) {
  const armor = new ApolloArmor({
    maxTokens: { enabled: false },
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
    maxDirectives: { n: 50 },
    // A fragment is a name for fields, not a level of nesting: without flattening, moving fields
    // into a fragment cost a client half as much again. `first` multiplies a connection's cost,
    // so a page of 100 results costs what 100 results do.
    costLimit: { maxCost: config.GRAPHQL_MAX_COST, ignoreIntrospection: true, flattenFragments: true },
    blockFieldSuggestion: { enabled: config.NODE_ENV === 'production' },
  });
  const { plugins, validationRules } = armor.protect();
  return { plugins, validationRules, parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS } };
}
