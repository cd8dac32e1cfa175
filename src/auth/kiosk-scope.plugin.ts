import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type SelectionSetNode } from 'graphql';
import type { Context } from '../context';
import { AppError, ErrorCode } from '../errors/app-error';

/** The only root fields a kiosk token may call. */
export const KIOSK_FIELDS = new Set(['submitSurveyResponse', 'submitSurveyResponses']);

/** Root field names of an operation, following fragments; null if it cannot tell (an unknown fragment). */
function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, SelectionSetNode>, seen = new Set<string>()): string[] | null {
  const names: string[] = [];
  for (const s of selectionSet.selections) {
    if (s.kind === Kind.FIELD) names.push(s.name.value);
    else {
      let inner: SelectionSetNode | undefined;
      if (s.kind === Kind.INLINE_FRAGMENT) inner = s.selectionSet;
      else {
        if (seen.has(s.name.value)) continue;
        seen.add(s.name.value);
        inner = fragments.get(s.name.value);
      }
      if (!inner) return null;
      const more = rootFields(inner, fragments, seen);
      if (more === null) return null;
      names.push(...more);
    }
  }
  return names;
}

/**
 * A kiosk token submits survey responses and does nothing else: any
 * operation of a kiosk principal whose root fields are not only
 * submitSurveyResponse(s) (queries that anonymous readers may run included)
 * is refused with FORBIDDEN before anything executes.
 */
export function kioskScopePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (contextValue.principal?.kind !== 'kiosk') return;
      return {
        async didResolveOperation({ operation, document }) {
          const fragments = new Map<string, SelectionSetNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
          const fields = operation && operation.operation === 'mutation' ? rootFields(operation.selectionSet, fragments) : null;
          const allowed = fields !== null && fields.length > 0 && fields.every((f) => KIOSK_FIELDS.has(f) || f === '__typename');
          if (!allowed) {
            const what = operation ? `${operation.operation} ${fields?.join(', ') ?? ''}`.trim() : 'this request';
            const error = new AppError(ErrorCode.FORBIDDEN, `A kiosk token may only call submitSurveyResponse and submitSurveyResponses, not ${what}`);
            throw new GraphQLError(error.message, { originalError: error, extensions: { http: { status: 403 } } });
          }
        },
      };
    },
  };
}
