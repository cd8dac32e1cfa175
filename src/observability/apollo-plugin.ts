import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { requestContext } from './request-context';

/** At most this many root fields name an operation; more read `,…`. */
const MAX_ROOT_FIELDS = 4;

/**
 * An operation's label for metrics and traces: its type and its root
 * fields, sorted (aliases and client-chosen operation names left out, so
 * the set of labels stays that of the schema): `query rankings`,
 * `mutation submitSurveyResponse`, `query rankings,units`.
 */
export function operationLabel(operation: OperationDefinitionNode, document?: DocumentNode): string {
  const names = new Set<string>();
  const fragments = new Map<string, SelectionSetNode>();
  for (const d of document?.definitions ?? []) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments.get(s.name.value);
        if (f) walk(f);
      }
    }
  };
  walk(operation.selectionSet);
  const sorted = [...names].sort();
  const shown = sorted.slice(0, MAX_ROOT_FIELDS).join(',') + (sorted.length > MAX_ROOT_FIELDS ? ',…' : '');
  return `${operation.operation} ${shown || '-'}`;
}

/**
 * Labels by operation: Apollo keeps a parsed document per query text, so a
 * query sent again brings the same operation node, whose label is read here
 * instead of walking its selections once more.
 */
const labels = new WeakMap<OperationDefinitionNode, string>();

export function labelOf(operation: OperationDefinitionNode, document: DocumentNode | undefined): string {
  let label = labels.get(operation);
  if (label === undefined) {
    label = operationLabel(operation, document);
    labels.set(operation, label);
  }
  return label;
}

/** Notes on the request being served an operation answered without errors outside Apollo (src/http/prepared-operations.ts). */
export function noteAnswered(operation: OperationDefinitionNode, document: DocumentNode): void {
  const info = requestContext.getStore();
  if (!info) return;
  info.operation = labelOf(operation, document);
  info.outcome ??= 'ok';
}

const CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

/**
 * Tells the request being served (src/observability/request-context.ts)
 * which operation it runs and how it ended: the HTTP observer
 * (src/observability/http.ts) counts it once the answer is sent. A
 * RATE_LIMITED error (the cost budget, a busy pool) notes its reason.
 */
export function observabilityPlugin(onOperation?: (label: string) => void, onValidation?: () => void): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const info = requestContext.getStore();
      if (!info) return;
      return {
        // Called only for a document not found in Apollo's store of validated documents (src/http/document-store.ts).
        async validationDidStart() {
          onValidation?.();
        },
        async didResolveOperation(rc) {
          if (rc.operation) info.operation = labelOf(rc.operation, rc.document);
          if (info.operation) onOperation?.(info.operation);
        },
        async willSendResponse(rc) {
          const body = rc.response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : undefined;
          if (!errors?.length) {
            info.outcome ??= 'ok';
            return;
          }
          const code = errors[0].extensions?.code;
          info.outcome = typeof code === 'string' && CODE.test(code) ? code : 'ERROR';
          const limited = errors.find((e) => e.extensions?.code === 'RATE_LIMITED');
          if (limited) {
            const reason = limited.extensions?.reason;
            info.rateLimitReason = typeof reason === 'string' && reason !== 'RATE_LIMITED' ? reason : 'RATE_LIMITED';
          }
        },
      };
    },
  };
}
