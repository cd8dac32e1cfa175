import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  getIntrospectionQuery, GraphQLError, isInterfaceType, isObjectType, parse, type DocumentNode, type GraphQLFormattedError,
  type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import type { Principal } from '../auth/principal';
import type { Config } from '../config/config';
import type { Context } from '../context';
import { AppError, ErrorCode } from '../errors/app-error';
import type { Caller, CallerBudgets } from './caller-budgets';
import { requestPlan } from '../query-plan/plugin';
import { planOf, type QueryPlan } from '../query-plan/plan';
import { ROOT_PRICES, SATISFACTION_SCAN_COST } from '../query-plan/root-fields';
import { analyzeOperation, analyzePlan, FragmentCycleError, type CostEstimates, type OperationCost } from './cost';

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
    'Cycle.rounds': 3,
    // A unit's stored scores of a year: its EXPERT leaves (about 40) times the rounds and panelists that scored them.
    'Unit.assessment': 200,
    'RankingSummary.bands': 5,
    'Query.questionnaire': 50,
    'Query.satisfaction': 50,
  },
  // Root fields with a price of their own (satisfaction, by the scope it scans): src/query-plan/root-fields.ts.
  fieldCosts: ROOT_PRICES,
};

export { SATISFACTION_SCAN_COST };

/**
 * What a `__schema` and a `__type` cost in the budget. Answering the whole
 * schema takes Node tens of milliseconds of CPU, so a `__schema` is priced
 * near an anonymous operation's whole budget (an IP may then ask about four
 * a second); the IDE's one introspection query still passes every role's.
 */
export const INTROSPECTION_COST = { schema: 2500, type: 10 };

/** An introspection answer may be this many times the full introspection query's (every option on). */
const INTROSPECTION_SIZE_FACTOR = 1.5;

/** Per schema: the estimates with the introspection lists measured on it, and the bound on an introspection answer. */
const perSchema = new WeakMap<GraphQLSchema, { estimates: CostEstimates; maxIntrospectionSize: number }>();

export function schemaEstimates(schema: GraphQLSchema): { estimates: CostEstimates; maxIntrospectionSize: number } {
  let found = perSchema.get(schema);
  if (found) return found;
  const types = Object.values(schema.getTypeMap());
  const count = (f: (t: (typeof types)[number]) => number) => Math.max(1, Math.ceil(types.reduce((n, t) => n + f(t), 0) / types.length));
  const fields = types.flatMap((t) => (isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : []));
  const directives = schema.getDirectives();
  const estimates: CostEstimates = {
    ...costEstimates,
    introspection: {
      schemaCost: INTROSPECTION_COST.schema,
      typeCost: INTROSPECTION_COST.type,
      listSizes: {
        '__Schema.types': types.length,
        '__Schema.directives': directives.length,
        '__Type.fields': count((t) => (isObjectType(t) || isInterfaceType(t) ? Object.keys(t.getFields()).length : 0)),
        '__Type.inputFields': count((t) => ('getFields' in t && !isObjectType(t) && !isInterfaceType(t) ? Object.keys(t.getFields()).length : 0)),
        '__Type.enumValues': count((t) => ('getValues' in t ? t.getValues().length : 0)),
        '__Type.interfaces': count((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0)),
        '__Type.possibleTypes': count((t) => ('getTypes' in t ? t.getTypes().length : 0)),
        '__Field.args': Math.max(1, Math.ceil(fields.reduce((n, f) => n + f.args.length, 0) / Math.max(1, fields.length))),
        '__Directive.args': Math.max(1, Math.ceil(directives.reduce((n, d) => n + d.args.length, 0) / Math.max(1, directives.length))),
      },
    },
  };
  const full = parse(getIntrospectionQuery({
    descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true,
  }));
  const op = full.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const reference = analyzeOperation(schema, full, op, undefined, estimates).introspectionSize;
  found = { estimates, maxIntrospectionSize: Math.ceil(reference * INTROSPECTION_SIZE_FACTOR) };
  perSchema.set(schema, found);
  return found;
}

export function budgetFor(principal: Principal | null, limits: QueryLimits): { role: string; limit: number } {
  if (!principal) return { role: 'anonymous', limit: limits.budgets.anonymous };
  return { role: principal.role, limit: limits.budgets[principal.role] };
}

function tooComplexError(message: string, details: Record<string, unknown>): GraphQLError {
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

/** Per plan (kept per document, operation and variables), its analysis. */
const analyses = new WeakMap<QueryPlan, OperationCost>();

export function analyzeCached(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined,
  plan: QueryPlan = planOf(schema, document, operation, variables),
): OperationCost {
  let result = analyses.get(plan);
  if (!result) {
    result = analyzePlan(plan, schemaEstimates(schema).estimates);
    analyses.set(plan, result);
  }
  return result;
}

/** What the analysis of the request found, for the cache policy. */
export const operationCostKey = Symbol('operationCost');

/** A refusal over the limits is charged the operation's cost, but at most this many operation budgets. */
const REFUSED_CHARGE_BUDGETS = 10;

/** Who is calling, set on the context by src/app.ts: the operation's cost is charged to them. */
export const callerKey = Symbol('caller');

/** Set on the context when the operation's cost was charged before Apollo ran it: not charged again. */
export const costChargedKey = Symbol('costCharged');

/**
 * Why an operation of this analysis is over the limits of a caller whose
 * budget is `limit` (`role` names it), or null: depth, aliases, `__schema`
 * more than once, an introspection answer over `maxIntrospection` objects,
 * cost. The message says the figure and the limit.
 */
export function limitRefusal(
  result: OperationCost, limits: QueryLimits, limit: number, role: string, maxIntrospection: number,
): { message: string; details: Record<string, unknown> } | null {
  if (result.depth > limits.maxDepth) {
    return { message: `The query is ${result.depth} fields deep; the limit is ${limits.maxDepth}`,
      details: { reason: 'TOO_DEEP', depth: result.depth, limit: limits.maxDepth } };
  }
  if (result.aliases > limits.maxAliases) {
    return { message: `The query has ${result.aliases} aliased fields; the limit is ${limits.maxAliases}`,
      details: { reason: 'TOO_MANY_ALIASES', aliases: result.aliases, limit: limits.maxAliases } };
  }
  if (result.schemaFields > 1) {
    return { message: `The query asks for __schema ${result.schemaFields} times; the limit is 1 per operation`,
      details: { reason: 'TOO_MUCH_INTROSPECTION', count: result.schemaFields, limit: 1 } };
  }
  if (result.introspectionSize > maxIntrospection) {
    return { message: `The introspection answer would hold about ${result.introspectionSize} objects; the limit is ${maxIntrospection} (the full schema once)`,
      details: { reason: 'INTROSPECTION_TOO_LARGE', size: result.introspectionSize, limit: maxIntrospection } };
  }
  if (result.cost > limit) {
    const cost = result.cost >= 1e12 ? 'over 10^12' : String(result.cost);
    return { message: `The query costs ${cost}; the limit for ${role} is ${limit}. Ask for fewer items (first), fewer nested lists or fewer aliases`,
      details: { reason: 'COST', cost: Math.min(result.cost, Number.MAX_SAFE_INTEGER), limit } };
  }
  return null;
}

function rateLimited(message: string, retryAfter: number, reason: string): GraphQLError {
  const appError = new AppError(ErrorCode.RATE_LIMITED, message, undefined, { reason, retryAfter });
  return new GraphQLError(message, { originalError: appError, extensions: { code: 'RATE_LIMITED', http: { status: 429 } } });
}

/**
 * Refuses, before execution, an operation over the caller's depth, alias or
 * cost budget with QUERY_TOO_COMPLEX, saying the figure and the limit.
 */
export function queryLimitsPlugin(limits: QueryLimits, budgets?: CallerBudgets): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation(rc) {
      if (!rc.operation) return;
      const caller = (rc.contextValue as unknown as Record<symbol, Caller | undefined>)[callerKey];
      const { role, limit } = budgetFor(rc.contextValue.principal, limits);
      // A refusal over the limits costs its caller the operation budget, or the operation's cost when that is more,
      // up to ten budgets (src/protection/caller-budgets.ts, chargeRefused).
      const tooComplex = (message: string, details: Record<string, unknown>, cost = 0) => {
        if (budgets && caller) budgets.chargeRefused(caller, Math.min(Math.max(limit, cost), REFUSED_CHARGE_BUDGETS * limit));
        return tooComplexError(message, details);
      };
      let result: OperationCost;
      try {
        result = analyzeCached(rc.schema, rc.document, rc.operation, rc.request.variables as Record<string, unknown> | undefined, requestPlan(rc));
      } catch (e) {
        if (e instanceof FragmentCycleError) throw tooComplex(e.message, { reason: 'FRAGMENT_CYCLE' });
        throw e;
      }
      (rc.contextValue as unknown as Record<symbol, unknown>)[operationCostKey] = result;
      const over = limitRefusal(result, limits, limit, role, schemaEstimates(rc.schema).maxIntrospectionSize);
      if (over) throw tooComplex(over.message, over.details, result.cost);
      // The prepared path (src/http/prepared-operations.ts) charged it already when it handed the request over.
      if ((rc.contextValue as unknown as Record<symbol, unknown>)[costChargedKey]) return;
      if (budgets && caller) {
        const refusal = budgets.chargeCost(caller, result.cost);
        if (refusal) throw rateLimited(`${refusal.message}. Retry in ${refusal.retryAfter} s`, refusal.retryAfter, refusal.reason);
      }
    },
    async willSendResponse(rc) {
      // A refusal that says when to come back (a busy pool, a caller over budget) carries Retry-After;
      // with nothing else answered it is 429.
      if (rc.response.body.kind !== 'single') return;
      const { errors, data } = rc.response.body.singleResult;
      let retryAfter = 0;
      for (const e of errors ?? []) {
        const x = e.extensions as { code?: string; retryAfter?: unknown } | undefined;
        if (x?.code === 'RATE_LIMITED' && typeof x.retryAfter === 'number') retryAfter = Math.max(retryAfter, x.retryAfter);
      }
      if (retryAfter === 0) return;
      rc.response.http.headers.set('retry-after', String(retryAfter));
      if (data === undefined || data === null) rc.response.http.status = 429;
    },
  };
  return { async requestDidStart() { return listener; } };
}
