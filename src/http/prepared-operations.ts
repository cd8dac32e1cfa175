import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Context } from '../context';
import type { QueryLimits } from '../protection/limits';
import { analyzeCached, budgetFor, costChargedKey, limitRefusal, operationCostKey, schemaEstimates } from '../protection/limits';
import type { Caller, CallerBudgets } from '../protection/caller-budgets';
import type { OperationCost } from '../protection/cost';
import { queryCacheControl, VARY } from '../cache/response-cache';
import { noteAnswered } from '../observability/apollo-plugin';
import { planKey, planOf, type QueryPlan } from '../query-plan/plan';
import { BoundedLru, setBounded } from '../util/bounded';
import { executionStats } from './jit-executor';
import { declinedKey, type RenderedQueries, stringifyResult } from './rendered-queries';
import { keyText } from './comments';

/** A document Apollo parsed, validated and answered whole in SQL: what a later request of the same text runs. */
interface Prepared {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The text's length: the bound on what is kept. */
  size: number;
}

/** Documents kept, least recently used dropped first: a portal sends a handful. */
const BOUNDS = { maxEntries: 500, maxSize: 2_000_000, maxOne: 100_000 };
/** Accept headers whose negotiated content type is remembered. */
const MAX_ACCEPTS = 64;

/** What the HTTP handler writes for a prepared answer. */
export interface PreparedAnswer {
  headers: Record<string, string>;
  body: string;
  plan: QueryPlan;
}

/** What a request brings to the prepared path: its parsed body, caller, and where its context marks go. */
export interface PreparedRequest {
  body: unknown;
  accept: string | undefined;
  context: Context;
  caller: Caller;
  /** Run once the request is to be answered here, before its statement (the choice of a read replica). */
  beforeRun?: () => Promise<void>;
}

/**
 * The short way through the service for a query it has already answered
 * whole in SQL (src/http/rendered-queries.ts): the portal's pages and the
 * analysts' usual queries, sent again and again with other variables.
 *
 * Apollo answers the first request of a document: it parses and validates
 * it, runs every plugin, and the executor renders it; the executor then
 * offers the document here (offer). A later POST of the same text
 * (comments aside, keyText) and operation name is answered without Apollo's pipeline, by the same rules
 * each read from the code the plugins read:
 * - the query plan of its variables (src/query-plan/plan.ts) and its cost
 *   analysis, refused or not by the limits' own rule (limitRefusal);
 * - the caller's cost budget charged (CallerBudgets.chargeCost);
 * - the same renderers, the same context;
 * - Cache-Control by the cache policy's rule (queryCacheControl), Vary, and
 *   the content type Apollo negotiated for the same Accept header;
 * - the operation and its outcome noted for metrics and logs.
 *
 * Anything else goes to Apollo, which answers as it always does: a body
 * with `extensions`, a batch, a kiosk's token (the kiosk scope refuses its
 * queries), an Accept header Apollo has not negotiated yet, anything the
 * limits or the budget refuse (Apollo states the refusal and charges it),
 * variables that do not coerce, an argument a renderer declines or
 * refuses. When the cost was charged here before handing over,
 * `costChargedKey` on the context keeps Apollo from charging it twice, and
 * when the rendering was tried, `declinedKey` keeps the executor from trying again.
 * An answer is byte for byte Apollo's (tests/integration/prepared-operations.test.ts).
 */
export class PreparedOperations {
  private readonly known = new BoundedLru<Prepared>({ ...BOUNDS, sizeOf: (p) => p.size });
  private readonly contentTypes = new Map<string, string>();
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rendered: RenderedQueries,
    private readonly limits: QueryLimits,
    private readonly budgets: CallerBudgets,
    private readonly maxAgeSeconds: number,
  ) {}

  /** Called by the executor once Apollo has validated `document` and its operation was rendered whole; `operationName` as the request sent it. */
  offer(query: string | undefined, operationName: string | null | undefined, document: DocumentNode, operation: OperationDefinitionNode): void {
    if (query === undefined || operation.operation !== 'query') return;
    const key = keyOf(query, operationName ?? undefined);
    if (this.known.get(key)?.document === document) return;
    this.known.set(key, { document, operation, size: key.length });
  }

  /** Called with each whole answer Apollo sent with 200: the content type it chose for this Accept header. */
  learnContentType(accept: string | undefined, contentType: string | undefined): void {
    if (contentType === undefined) return;
    const key = accept ?? '';
    if (this.contentTypes.get(key) !== contentType) setBounded(this.contentTypes, key, contentType, MAX_ACCEPTS);
  }

  /** The answer, or null when Apollo is to answer the request (nothing has been written or charged that it would repeat). */
  async answer(request: PreparedRequest): Promise<PreparedAnswer | null> {
    const { body, context, caller } = request;
    if (context.principal?.kind === 'kiosk' || body === null || typeof body !== 'object' || Array.isArray(body)) return null;
    const { query, operationName, variables, extensions } = body as Record<string, unknown>;
    if (typeof query !== 'string' || extensions !== undefined) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    const contentType = this.contentTypes.get(request.accept ?? '');
    if (contentType === undefined) return null;
    const prepared = this.known.get(keyOf(query, operationName ?? undefined));
    if (!prepared) return null;
    const { document, operation } = prepared;
    const vars = (variables ?? undefined) as Record<string, unknown> | undefined;

    let plan: QueryPlan;
    let analysis: OperationCost;
    try {
      plan = planOf(this.schema, document, operation, vars);
      analysis = analyzeCached(this.schema, document, operation, vars, plan);
    } catch {
      return null; // whatever the plan or the analysis could not take, Apollo's pipeline states
    }
    const { role, limit } = budgetFor(context.principal, this.limits);
    if (limitRefusal(analysis, this.limits, limit, role, schemaEstimates(this.schema).maxIntrospectionSize)) return null;
    if (this.budgets.chargeCost(caller, analysis.cost)) return null;
    const marks = context as unknown as Record<symbol, unknown>;
    marks[costChargedKey] = true;
    marks[planKey] = plan;
    marks[operationCostKey] = analysis;

    if (request.beforeRun) await request.beforeRun();
    const data = await this.rendered.run(document, operation, vars, context);
    if (!data) {
      marks[declinedKey] = true; // refused, declined or failed (logged once): the resolvers answer, not a second try
      return null;
    }
    // A rendered run, as the executor counts its own; and one of those answered here.
    executionStats.renderedRuns++;
    executionStats.preparedRuns++;
    noteAnswered(operation, document);
    return {
      headers: { 'cache-control': queryCacheControl(this.maxAgeSeconds, context.principal, analysis), vary: VARY, 'content-type': contentType },
      body: stringifyResult({ data: data as unknown as Record<string, unknown> }),
      plan,
    };
  }
}

function keyOf(query: string, operationName: string | undefined): string {
  return `${operationName ?? ''}\n${keyText(query).trim()}`;
}
