import type { ApolloServer } from '@apollo/server';
import type { Principal } from '../auth/principal';
import { createLoaders, type Context } from '../context';
import { stringifyResult } from '../http/rendered-queries';
import type { Services } from '../services';
import { DocumentError, STATUS_OF_CODE } from './document-error';

/**
 * Runs a GraphQL operation for a caller, as POST /graphql would: the
 * service's own Apollo server, schema, plugins (limits, kiosk scope) and
 * resolvers, with the context the HTTP path builds for that principal. The
 * exports read every figure through it, so that a file shows what GraphQL
 * shows that caller, byte for byte, under the same visibility rules.
 */
export type RunGraphQL = <T = any>(principal: Principal | null, query: string, variables?: Record<string, unknown>) => Promise<T>;

export function graphqlRunner(apollo: ApolloServer<Context>, services: Services): RunGraphQL {
  return async <T>(principal: Principal | null, query: string, variables: Record<string, unknown> = {}) => {
    const requestId = `documents-${Date.now().toString(36)}`;
    const response = await apollo.executeOperation<Record<string, unknown>>(
      { query, variables },
      { contextValue: { principal, requestId, loaders: createLoaders(services) } },
    );
    if (response.body.kind !== 'single') throw new Error('an incremental GraphQL answer where a single one was expected');
    // Through the service's own stringifier (rendered rankings arrive as JSON text), then read back: the figures as the client gets them.
    const result = JSON.parse(stringifyResult(response.body.singleResult)) as { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
    const error = result.errors?.[0];
    if (error) {
      const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
      throw new DocumentError(STATUS_OF_CODE[code] ?? 500, code, error.message, error.extensions?.field);
    }
    return result.data as T;
  };
}
