import {
  getArgumentValues, getNamedType, getVariableValues, GraphQLError, isObjectType, Kind,
  type DocumentNode, type FieldNode, type FormattedExecutionResult, type FragmentDefinitionNode, type GraphQLField,
  type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { Context } from '../context';
import { AppError } from '../errors/app-error';
import type { Selected } from '../query-plan/selection';

/**
 * A root query field whose whole answer one SQL statement writes as JSON
 * text: given its coerced arguments, the request's context and the fields
 * selected under it (response keys, names, in the document's order).
 */
export type RenderedRoot = (args: Record<string, unknown>, context: Context, selected: readonly Selected[]) => Promise<string>;

export interface Renderers {
  /** Root query fields answered as JSON text. */
  roots: Record<string, RenderedRoot>;
  /** The fields of each type under them that the statements write (`__typename` always). */
  fields: Record<string, readonly string[]>;
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
 * field of a query has a renderer and everything selected under it is a
 * field the renderer writes, with no directives, no arguments below the
 * root and no key selected twice but identical leaves, the data is the
 * renderers' JSON text, which goes out as it is. The portal's ranking
 * page is one statement and no per-field work at all.
 *
 * Anything else, and any refused argument (the renderer's AppError), is
 * left to the executor (null), which answers as it always does, errors
 * included: an answer never depends on which path served it. Apollo's
 * parsing, validation, limits and cache policy run before either.
 */
export class RenderedQueries {
  /** Per (cached, validated) document and operation name: its plan, or null when it is not rendered. */
  private readonly plans = new WeakMap<DocumentNode, Map<string, RootPlan[] | null>>();

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
    const plan = this.plan(document, operation);
    if (!plan) return null;
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], variables ?? {});
    if (coerced.errors) return null;
    try {
      const parts = await Promise.all(plan.map((root) => root.text ?? root.render!(
        getArgumentValues(root.field!, root.node!, coerced.coerced), context, root.selected!)));
      return new JsonText(`{${plan.map((root, i) => `"${root.key}":${parts[i]}`).join(',')}}`);
    } catch (e) {
      if (!(e instanceof AppError || e instanceof GraphQLError)) {
        renderStats.failures++;
        this.onFailure(e);
      }
      return null;
    }
  }

  private plan(document: DocumentNode, operation: OperationDefinitionNode): RootPlan[] | null {
    let byName = this.plans.get(document);
    if (!byName) {
      byName = new Map();
      this.plans.set(document, byName);
    }
    const name = operation.name?.value ?? '';
    let plan = byName.get(name);
    if (plan === undefined) {
      plan = this.build(document, operation);
      byName.set(name, plan);
    }
    return plan;
  }

  private build(document: DocumentNode, operation: OperationDefinitionNode): RootPlan[] | null {
    const query = this.schema.getQueryType();
    if (operation.operation !== 'query' || !query) return null;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const nodes = new Map<Selected, FieldNode>();
    const selected = this.collect(operation.selectionSet, query, fragments, nodes);
    if (!selected) return null;
    return selected.map((s): RootPlan => (s.name === '__typename'
      ? { key: s.key, text: JSON.stringify(query.name) }
      : { key: s.key, render: this.renderers.roots[s.name], field: query.getFields()[s.name], node: nodes.get(s), selected: s.fields ?? [] }));
  }

  /**
   * The fields of a selection set on `type` by response key, fragments
   * inlined, or null if any is not rendered. `roots` (the query's own set)
   * collects their field nodes, for their arguments.
   */
  private collect(
    set: SelectionSetNode, type: GraphQLObjectType, fragments: Map<string, FragmentDefinitionNode>, roots?: Map<Selected, FieldNode>,
  ): Selected[] | null {
    const out: Selected[] = [];
    // Per response key: the leaf's name, or '' for an object field (which may not be selected twice here).
    const keys = new Map<string, string>();
    // As graphql-js: a fragment spread twice in one selection set adds nothing the second time.
    const spread = new Set<string>();
    const visit = (selections: SelectionSetNode): boolean => selections.selections.every((s) => {
      if (s.directives?.length) return false;
      if (s.kind === Kind.INLINE_FRAGMENT) return (!s.typeCondition || s.typeCondition.name.value === type.name) && visit(s.selectionSet);
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        if (spread.has(s.name.value)) return true;
        spread.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        return !!fragment && fragment.typeCondition.name.value === type.name && visit(fragment.selectionSet);
      }
      const name = s.name.value;
      const key = s.alias?.value ?? name;
      const prior = keys.get(key);
      if (prior !== undefined) return prior === name && !s.selectionSet;
      let fields: Selected[] | undefined;
      if (name !== '__typename') {
        const rendered = roots ? Object.hasOwn(this.renderers.roots, name) : (this.renderers.fields[type.name]?.includes(name) && !s.arguments?.length);
        const def = type.getFields()[name];
        if (!rendered || !def) return false;
        if (s.selectionSet) {
          const named = getNamedType(def.type);
          const sub = isObjectType(named) ? this.collect(s.selectionSet, named, fragments) : null;
          if (!sub) return false;
          fields = sub;
        }
      }
      const selected: Selected = fields ? { key, name, fields } : { key, name };
      keys.set(key, fields ? '' : name);
      out.push(selected);
      roots?.set(selected, s);
      return true;
    });
    return visit(set) && out.length <= MAX_KEYS ? out : null;
  }
}
