import {
  getArgumentValues, getVariableValues, GraphQLError,
  type DocumentNode, type FieldNode, type FormattedExecutionResult, type GraphQLField, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import type { Context } from '../context';
import { AppError } from '../errors/app-error';
import { isUnstorableText } from '../errors/format-error';
import { planOf, planOfContext, type PlanField, type QueryPlan } from '../query-plan/plan';
import type { Selected } from '../query-plan/selection';

/**
 * A root query field whose whole answer one SQL statement writes as JSON
 * text: given its coerced arguments, the request's context and the fields
 * selected under it (response keys, names, in the document's order).
 */
export type RenderedRoot = (args: Record<string, unknown>, context: Context, selected: readonly Selected[]) => Promise<string>;

/**
 * A root query field answered as JSON text: its renderer, and the fields of
 * each type under it that its statement writes (`__typename` always). Per
 * root: a field one root writes (a unit's results under unit(code)) may be
 * one another does not (a ranking's node { unit }).
 */
export interface RenderedRootField {
  render: RenderedRoot;
  fields: Readonly<Record<string, readonly string[]>>;
}

export interface Renderers {
  /** Root query fields answered as JSON text, by name. */
  roots: Record<string, RenderedRootField>;
}

/** An operation's `data` already written as JSON text: {@link stringifyResult} puts it in the answer as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Apollo's stringifyResult: compact JSON, with rendered data spliced in unparsed. */
export function stringifyResult(value: FormattedExecutionResult): string {
  if (!(value.data instanceof JsonText)) return JSON.stringify(value);
  const { data, ...rest } = value;
  const more = JSON.stringify(rest);
  return `{"data":${data.text}${more === '{}' ? '' : `,${more.slice(1, -1)}`}}`;
}

/**
 * A renderer's "not these arguments": what it does not write in SQL (a
 * filter it has no statement for) is left to the executor, as a refused
 * argument is, and is not a failure.
 */
export class NotRendered extends Error {
  override name = 'NotRendered';
}

/**
 * Set on a request's context once its rendering was tried and came to
 * nothing (src/http/prepared-operations.ts hands it to Apollo then): the
 * executor resolves it without trying again.
 */
export const declinedKey = Symbol('renderingDeclined');

/** Failures other than refused arguments, counted for tests and diagnostics (each is also logged). */
export const renderStats = { failures: 0 };

/** Most response keys in one selection set: a statement's json_build_object takes at most 100 arguments. */
const MAX_KEYS = 40;

interface RootPlan {
  key: string;
  /** `__typename`: its JSON. */
  text?: string;
  render?: RenderedRoot;
  field?: GraphQLField<unknown, unknown>;
  node?: FieldNode;
  selected?: readonly Selected[];
}

/**
 * Queries answered without resolving a field in Node: when every root
 * field of a query's plan (src/query-plan/plan.ts: fragments inlined,
 * fields merged, @skip/@include decided) has a renderer and everything
 * selected under it is a field the renderer writes, with no other
 * directive and no arguments below the root, the data is the renderers'
 * JSON text, which goes out as it is. The portal's ranking page is one
 * statement and no per-field work at all.
 *
 * Anything else, any refused argument (the renderer's AppError) and any
 * argument it declines (NotRendered), is left to the executor (null),
 * which answers as it always does, errors included: an answer never
 * depends on which path served it. Apollo's parsing, validation, limits
 * and cache policy run before either.
 */
export class RenderedQueries {
  /** Per plan (kept per document, operation and variables): what renders it, or null when it is not rendered. */
  private readonly plans = new WeakMap<QueryPlan, RootPlan[] | null>();
  /** Per plan, its roots' argument values (argumentsOf). */
  private readonly args = new WeakMap<QueryPlan, (Record<string, unknown> | undefined)[] | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly renderers: Renderers,
    /** A failure other than a refused argument (the executor answers instead): logged, never hidden. */
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** The operation's data as JSON text, or null if the executor is to run it. */
  async run(
    document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined, context: Context,
  ): Promise<JsonText | null> {
    if (operation.operation !== 'query' || (context as unknown as Record<symbol, unknown>)[declinedKey]) return null;
    const queryPlan = planOfContext(context) ?? planOf(this.schema, document, operation, variables);
    const plan = this.plan(queryPlan);
    if (!plan) return null;
    try {
      const args = this.argumentsOf(queryPlan, plan, operation, variables);
      if (!args) return null;
      const part = (root: RootPlan, i: number) => root.text ?? root.render!(args[i]!, context, root.selected!);
      // One root (a page, a unit, a search): its statement awaited alone, without a Promise.all around it.
      const parts = plan.length === 1 ? [await part(plan[0], 0)] : await Promise.all(plan.map(part));
      return new JsonText(`{${plan.map((root, i) => `"${root.key}":${parts[i]}`).join(',')}}`);
    } catch (e) {
      // Text PostgreSQL cannot store (a NUL in a code) is the caller's: the executor refuses it as BAD_USER_INPUT.
      if (!(e instanceof AppError || e instanceof GraphQLError || e instanceof NotRendered || isUnstorableText(e))) {
        renderStats.failures++;
        this.onFailure(e);
      }
      return null;
    }
  }

  /**
   * Each rendered root's argument values, coerced from the variables once
   * per plan (a plan is kept per document, operation and variables); null
   * when the variables do not coerce. An argument that does not throws, as
   * getArgumentValues does, and nothing is kept.
   */
  private argumentsOf(
    queryPlan: QueryPlan, plan: RootPlan[], operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined,
  ): (Record<string, unknown> | undefined)[] | null {
    let args = this.args.get(queryPlan);
    if (args === undefined) {
      const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], variables ?? {});
      args = coerced.errors ? null
        : plan.map((root) => (root.text === undefined ? Object.freeze(getArgumentValues(root.field!, root.node!, coerced.coerced)) : undefined));
      this.args.set(queryPlan, args);
    }
    return args;
  }

  private plan(queryPlan: QueryPlan): RootPlan[] | null {
    let plan = this.plans.get(queryPlan);
    if (plan === undefined) {
      plan = this.build(queryPlan);
      this.plans.set(queryPlan, plan);
    }
    return plan;
  }

  private build(queryPlan: QueryPlan): RootPlan[] | null {
    const query = this.schema.getQueryType();
    if (queryPlan.kind !== 'query' || !query || queryPlan.fragmentCycle !== null || queryPlan.roots.length > MAX_KEYS) return null;
    const out: RootPlan[] = [];
    for (const root of queryPlan.roots) {
      if (root.name === '__typename') {
        out.push({ key: root.key, text: JSON.stringify(query.name) });
        continue;
      }
      if (!Object.hasOwn(this.renderers.roots, root.name) || !root.def || root.directives) return null;
      const rendered = this.renderers.roots[root.name];
      const selected = this.collect(root.fields ?? [], rendered.fields);
      if (!selected) return null;
      out.push({ key: root.key, render: rendered.render, field: root.def, node: root.node, selected });
    }
    return out;
  }

  /** A planned selection as its root's renderer takes it, or null if any field of it is not one that root writes (`written`). */
  private collect(fields: readonly PlanField[], written: RenderedRootField['fields']): Selected[] | null {
    if (fields.length > MAX_KEYS) return null;
    const out: Selected[] = [];
    for (const f of fields) {
      if (f.name === '__typename') {
        out.push({ key: f.key, name: f.name });
        continue;
      }
      const rendered = written[f.parentType]?.includes(f.name) && f.nodes.every((n) => !n.arguments?.length);
      if (!rendered || f.directives || !f.def) return null;
      if (f.fields) {
        const sub = this.collect(f.fields, written);
        if (!sub) return null;
        out.push({ key: f.key, name: f.name, fields: sub });
      } else {
        out.push({ key: f.key, name: f.name });
      }
    }
    return out;
  }
}
