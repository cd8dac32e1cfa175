import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  defaultFieldResolver, execute, getNamedType, getVariableValues, GraphQLError, isLeafType, isObjectType, printSchema,
  typeFromAST, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Context } from '../context';
import { planOfContext } from '../query-plan/plan';
import { SeenOnce, setBounded } from '../util/bounded';
import { IntrospectionCache } from './introspection-cache';
import type { PreparedOperations } from './prepared-operations';
import type { RenderedQueries } from './rendered-queries';

// @apollo/server's types, without depending on its internal gateway-interface package directly.
type GatewayInterface = ApolloServerOptionsWithGateway<object>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

/** Compiled operations kept (least recently used dropped first); portals send a handful of distinct documents. */
const MAX_COMPILED = 500;
/** Documents seen once and not compiled yet, remembered to compile them on their second run. */
const MAX_SEEN = 5000;

/** Counters of this process's executors, for tests and diagnostics. */
export const executionStats = { renderedRuns: 0, preparedRuns: 0, compiles: 0, compiledRuns: 0, interpretedRuns: 0, introspectionHits: 0 };

/**
 * graphql-js's GraphQLError for one of graphql-jit's: Apollo's error formatting
 * reads `extensions.code`, which jit's errors leave undefined, and our
 * formatError needs `originalError` (the AppError a resolver threw).
 */
function toGraphQLError(e: GraphQLError): GraphQLError {
  const error = new GraphQLError(e.message, { path: e.path, originalError: e.originalError, extensions: e.extensions ?? undefined });
  // jit keeps no AST nodes, only the locations it computed; keep them in the answer.
  if (e.locations) (error as { locations?: typeof e.locations }).locations = e.locations;
  return error;
}

/**
 * Whether jit runs this operation: queries whose variables are scalars and enums (lists of them too).
 * graphql-jit compiles input-object variables into code per type, and a recursive input (CriterionInput)
 * takes it seconds and gigabytes (before any resolver could refuse the caller); mutations, which are
 * few and small, stay with graphql-js.
 */
function jitFits(schema: GraphQLSchema, operation: OperationDefinitionNode | undefined): boolean {
  // No operation (an unknown or missing operationName): graphql-js states the error Apollo expects.
  if (operation?.operation !== 'query') return false;
  return (operation.variableDefinitions ?? []).every((v) => {
    const type = typeFromAST(schema, v.type as Parameters<typeof typeFromAST>[1]);
    return type !== undefined && isLeafType(getNamedType(type));
  });
}

/**
 * An executor that answers introspection once per selection
 * (src/http/introspection-cache.ts), the queries `rendered` writes in SQL as they
 * come (src/http/rendered-queries.ts), and runs each other operation as JavaScript compiled by graphql-jit
 * (cached per document and operation) instead of walking the document with
 * graphql-js on every request: the portal's ranking page resolves ~460 fields,
 * and interpreting them was most of the service's time in Node.
 *
 * Apollo Server 4/5 has no `executor` option; the documented way to supply one
 * is a `gateway` that hands over a static schema and the executor. Apollo still
 * parses, validates and runs every plugin hook around it (limits, kiosk scope,
 * cache policy, APQ); only execution changes.
 */
export function jitExecutor(schema: GraphQLSchema, rendered?: RenderedQueries, prepared?: PreparedOperations): GatewayExecutor {
  // graphql-js's default resolver calls a function-valued property as a method (IndexResult's unit, band and
  // domains read later through DataLoaders do this); jit's inlined property reads do not. Object-valued fields
  // without a resolver get graphql-js's default resolver explicitly, which changes nothing for graphql-js.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.resolve && !isLeafType(getNamedType(field.type))) field.resolve = defaultFieldResolver;
    }
  }
  const compiled = new Map<string, CompiledQuery | ExecutionResult>();
  const seen = new SeenOnce(MAX_SEEN);
  const introspection = new IntrospectionCache();
  const run: GatewayExecutor = async (rc) => {
    const plan = planOfContext(rc.context);
    if (plan && plan.operation === rc.operation && IntrospectionCache.covers(plan)) {
      // The plan is the one the limits read: the answer is the same whichever runs it (graphql-js, since its text varies).
      const { hit, ...result } = await introspection.answer(rc.document, rc.operationName, rc.request.variables, () => Promise.resolve(execute({
        schema, document: rc.document, contextValue: rc.context, variableValues: rc.request.variables, operationName: rc.operationName,
      })));
      if (hit) executionStats.introspectionHits++;
      return result as ExecutionResult;
    }
    if (rendered && rc.operation) {
      const data = await rendered.run(rc.document, rc.operation, rc.request.variables, rc.context as Context);
      if (data) {
        executionStats.renderedRuns++;
        // Validated and rendered whole: a later request of the same text may skip Apollo's pipeline.
        prepared?.offer(rc.request.query, rc.request.operationName, rc.document, rc.operation);
        return { data: data as unknown as Record<string, unknown> };
      }
    }
    const interpret = () => (executionStats.interpretedRuns++, execute({
      schema, document: rc.document, contextValue: rc.context, variableValues: rc.request.variables, operationName: rc.operationName,
    }));
    if (!jitFits(schema, rc.operation)) return interpret();
    const key = `${rc.operationName ?? ''}\n${rc.queryHash}`;
    let query = compiled.get(key);
    if (query) {
      compiled.delete(key); // re-inserted below: Map order is recency order
    } else {
      // A document is compiled on its second run only: a caller sending a new document every time
      // (nothing to gain from compiling) cannot make the service compile for every request.
      if (!seen.again(key)) return interpret();
      query = compileQuery(schema, rc.document, rc.operationName ?? undefined);
      executionStats.compiles++;
    }
    setBounded(compiled, key, query, MAX_COMPILED);
    const variables = rc.request.variables ?? {};
    if (!isCompiledQuery(query)) return interpret(); // something jit cannot compile: graphql-js runs it as before
    executionStats.compiledRuns++;
    const result = await query.query(undefined, rc.context, variables);
    if (!result.errors?.length) return result;
    if (result.data === undefined) {
      // A request error before execution (variables that do not coerce): take graphql-js's errors,
      // which carry the AST nodes Apollo needs to answer 400 for them.
      const coerced = getVariableValues(schema, rc.operation.variableDefinitions ?? [], variables);
      if (coerced.errors) return { errors: coerced.errors };
    }
    return { ...result, errors: result.errors.map(toGraphQLError) };
  };
  return run;
}

/** The `gateway` option that makes Apollo Server use {@link jitExecutor} on a fixed schema. */
export function jitGateway(schema: GraphQLSchema, rendered?: RenderedQueries, prepared?: PreparedOperations): GatewayInterface {
  return {
    async load() {
      return { executor: jitExecutor(schema, rendered, prepared) };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
}
