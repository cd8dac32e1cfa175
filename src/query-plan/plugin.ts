import type { GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import type { Context } from '../context';
import { planKey, planOf, type PlanField, type QueryPlan } from './plan';

type Resolved = Pick<GraphQLRequestContextDidResolveOperation<Context>, 'schema' | 'document' | 'operation' | 'request' | 'contextValue'>;

/**
 * The request's plan: made by its first reader once Apollo has parsed and
 * validated the document (a didResolveOperation hook: the kiosk scope, the
 * limits), kept per document, operation and variables, and on the
 * request's context for every later reader (cache policy, executor,
 * rankingWants).
 */
export function requestPlan(rc: Resolved): QueryPlan | undefined {
  if (!rc.operation) return undefined;
  const context = rc.contextValue as unknown as Record<symbol, QueryPlan | undefined>;
  let plan = context[planKey];
  if (!plan || plan.operation !== rc.operation) {
    plan = planOf(rc.schema, rc.document, rc.operation, rc.request.variables as Record<string, unknown> | undefined);
    context[planKey] = plan;
    const out = (context as unknown as Record<symbol, PlanOut | undefined>)[planOutKey];
    if (out) out.plan = plan;
  }
  return plan;
}

/**
 * Where the HTTP handler finds the request's plan once Apollo has answered:
 * Apollo runs the operation on a copy of the context the handler made, so
 * the handler puts this box in it and the plan is left in the box too.
 */
export const planOutKey = Symbol('planOut');
export interface PlanOut { plan?: QueryPlan }

/** Calls `visit` on every planned field once (the plan shares fragments' fields: each shared list is walked once). */
export function forEachField(fields: readonly PlanField[], visit: (field: PlanField) => void, seen = new Set<readonly PlanField[]>()): void {
  if (seen.has(fields)) return;
  seen.add(fields);
  for (const f of fields) {
    visit(f);
    if (f.fields) forEachField(f.fields, visit, seen);
  }
}

/**
 * The years whose data an answer may show: every `year` argument of the
 * plan; null (any year) when one is not a plain integer or it reads
 * `Unit.results` (every year of a unit) or `yearSummaries` (every year of a kind).
 */
export function yearsOfPlan(plan: QueryPlan): ReadonlySet<number> | null {
  const years = new Set<number>();
  let known = true;
  forEachField(plan.roots, (f) => {
    if (f.name === 'results' || f.name === 'yearSummaries') known = false;
    if ('year' in f.args) {
      const y = f.args.year;
      if (typeof y === 'number' && Number.isInteger(y)) years.add(y);
      else known = false;
    }
  });
  return known ? years : null;
}
