import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../auth/principal';
import type { Config } from '../config/config';
import type { Context } from '../context';
import { AppError, ErrorCode } from '../errors/app-error';
import { analyzeOperation, FragmentCycleError, type CostEstimates, type OperationCost } from './cost';

export type QueryLimits = Config['queryLimits'];

/**
 * Estimated sizes of the schema's list fields that take no `first`: what a
 * province holds (a district has a few dozen communes, a framework 8–10
 * domains, a year 5 bands). Fields not named here count as `defaultListSize`.
 */
export const costEstimates: CostEstimates = {
  defaultListSize: 10,
  listSizes: {
    'Unit.children': 50,
    'Unit.results': 10,
    'IndexResult.domains': 10,
    'Cycle.domains': 10,
    // Frameworks are small trees (DOMAIN.md: 8 domains of a few criteria, each of a few
    // sub-criteria); nested estimates multiply, so they stay near real averages to let
    // anonymous readers read a whole framework several levels deep.
    'Domain.criteria': 6,
    'Criterion.children': 3,
    'Cycle.bands': 5,
    'RankingSummary.bands': 5,
    'Query.questionnaire': 50,
    'Query.satisfaction': 50,
  },
};

export function budgetFor(principal: Principal | null, limits: QueryLimits): { role: string; limit: number } {
  if (!principal) return { role: 'anonymous', limit: limits.budgets.anonymous };
  return { role: principal.role, limit: limits.budgets[principal.role] };
}

function tooComplex(message: string, details: Record<string, unknown>): GraphQLError {
  const appError = new AppError(ErrorCode.QUERY_TOO_COMPLEX, message, undefined, details);
  return new GraphQLError(message, { originalError: appError, extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });
}

/** The refusal of an oversized document, before anything reads it. */
export function documentTooLarge(bytes: number, limits: QueryLimits): { status: number; body: unknown } {
  return {
    status: 413,
    body: {
      errors: [{
        message: `The GraphQL document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes}`,
        extensions: { code: 'QUERY_TOO_COMPLEX', reason: 'DOCUMENT_TOO_LARGE', size: bytes, limit: limits.maxDocumentBytes },
      }],
    },
  };
}

/**
 * The size of the document a request carries, before JSON's escapes are
 * undone or anything is parsed: a POST body's `query` (or each query of a
 * batch), a GET's `query` parameter. Bytes of UTF-8.
 */
export function documentBytes(body: unknown, search: URLSearchParams | null): number {
  let max = 0;
  const measure = (q: unknown) => {
    if (typeof q === 'string') max = Math.max(max, Buffer.byteLength(q, 'utf8'));
  };
  if (Array.isArray(body)) for (const b of body) measure((b as { query?: unknown } | null)?.query);
  else if (body && typeof body === 'object') measure((body as { query?: unknown }).query);
  if (search) measure(search.get('query'));
  return max;
}

/**
 * The parser's token limit yields a plain syntax error; this says it is a
 * refusal of an oversized document, with QUERY_TOO_COMPLEX.
 */
export function withTokenLimitCode(
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
  limits: QueryLimits,
) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (/^Syntax Error: Document contains more th(?:an|at) \d+ tokens/.test(formatted.message)) {
      return {
        message: `The GraphQL document has more than ${limits.maxTokens} tokens; the limit is ${limits.maxTokens}`,
        extensions: { code: 'QUERY_TOO_COMPLEX', reason: 'TOO_MANY_TOKENS', limit: limits.maxTokens },
      };
    }
    return format(formatted, error);
  };
}

/** Per document (Apollo keeps parsed documents), the analyses by operation and variables. */
const analyses = new WeakMap<DocumentNode, Map<string, OperationCost>>();

export function analyzeCached(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined,
): OperationCost {
  let byKey = analyses.get(document);
  if (!byKey) {
    byKey = new Map();
    analyses.set(document, byKey);
  }
  const key = `${operation.name?.value ?? ''}\n${operation.variableDefinitions?.length ? JSON.stringify(variables ?? {}) : ''}`;
  let result = byKey.get(key);
  if (!result) {
    result = analyzeOperation(schema, document, operation, variables, costEstimates);
    if (byKey.size < 100) byKey.set(key, result);
  }
  return result;
}

/** What the analysis of the request found, for the cache policy. */
export const operationCostKey = Symbol('operationCost');

/**
 * Refuses, before execution, an operation over the caller's depth, alias or
 * cost budget with QUERY_TOO_COMPLEX, saying the figure and the limit.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation(rc) {
      if (!rc.operation) return;
      let result: OperationCost;
      try {
        result = analyzeCached(rc.schema, rc.document, rc.operation, rc.request.variables as Record<string, unknown> | undefined);
      } catch (e) {
        if (e instanceof FragmentCycleError) throw tooComplex(e.message, { reason: 'FRAGMENT_CYCLE' });
        throw e;
      }
      (rc.contextValue as unknown as Record<symbol, unknown>)[operationCostKey] = result;
      if (result.depth > limits.maxDepth) {
        throw tooComplex(`The query is ${result.depth} fields deep; the limit is ${limits.maxDepth}`,
          { reason: 'TOO_DEEP', depth: result.depth, limit: limits.maxDepth });
      }
      if (result.aliases > limits.maxAliases) {
        throw tooComplex(`The query has ${result.aliases} aliased fields; the limit is ${limits.maxAliases}`,
          { reason: 'TOO_MANY_ALIASES', aliases: result.aliases, limit: limits.maxAliases });
      }
      const { role, limit } = budgetFor(rc.contextValue.principal, limits);
      if (result.cost > limit) {
        const cost = result.cost >= 1e12 ? 'over 10^12' : String(result.cost);
        throw tooComplex(`The query costs ${cost}; the limit for ${role} is ${limit}. Ask for fewer items (first), fewer nested lists or fewer aliases`,
          { reason: 'COST', cost: Math.min(result.cost, Number.MAX_SAFE_INTEGER), limit });
      }
    },
  };
  return { async requestDidStart() { return listener; } };
}
