import {
  getNamedType, isCompositeType, isInterfaceType, isObjectType, Kind,
  type DirectiveNode, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLCompositeType,
  type GraphQLField, type GraphQLNamedType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode,
} from 'graphql';

/*
 * One normalised plan per operation of a document (and its variables): the
 * fields the operation will execute, as graphql-js collects them. Fragments
 * are inlined, fields of one response key merged, @skip and @include
 * decided, argument values read with their variables. Everything that
 * reasons about a query reads this instead of walking the document: the
 * cost, depth and alias limits (src/protection), the kiosk scope
 * (src/auth), the cache policy (src/cache), what a ranking computes
 * (rankingWants) and the SQL renderer (src/http/rendered-queries.ts).
 *
 * A fragment's fields are planned once per plan and shared wherever it is
 * spread: the plan is a graph, not a tree, so a document that spreads
 * fragments exponentially stays small here; walkers that sum over the
 * tree memoise by PlanField (see the cost).
 */

/** One field the operation executes under one response key. */
export interface PlanField {
  /** The response key: alias or name. */
  key: string;
  name: string;
  /** The type it is a field of. */
  parentType: string;
  /** Its schema definition (undefined for __typename and fields the schema lacks, which validation refuses). */
  def?: GraphQLField<unknown, unknown>;
  /** The named type it returns (undefined as def). */
  type?: GraphQLNamedType;
  /** The first field node of the key (arguments, locations); `nodes` has them all, merged. */
  node: FieldNode;
  nodes: readonly FieldNode[];
  /** Argument values as written, variables substituted (a variable's default when absent); not coerced, no schema defaults. */
  args: Record<string, unknown>;
  /** Whether it was written with an alias. */
  aliased: boolean;
  /** Directives other than @skip/@include on the field or a fragment around it (the renderer leaves such fields to the resolvers). */
  directives: boolean;
  /** Its selection, merged and inlined; undefined for a leaf. */
  fields?: readonly PlanField[];
}

export interface QueryPlan {
  operation: OperationDefinitionNode;
  kind: 'query' | 'mutation' | 'subscription';
  /** The root fields, `__typename` included. */
  roots: readonly PlanField[];
  variables: Record<string, unknown>;
  /** A fragment spreads itself (validation refuses it too): the plan stops there, the limits refuse it. */
  fragmentCycle: string | null;
}

type Variables = Record<string, unknown>;
/** The field nodes of one response key, whether a directive other than @skip/@include is on them, the fragment they came from. */
interface Entry { nodes: FieldNode[]; directives: boolean; via: string | null }

/** A value node's value with the variables (lenient: what validation passed, not coerced). */
export function valueOf(value: ValueNode, variables: Variables, operation: OperationDefinitionNode): unknown {
  switch (value.kind) {
    case Kind.VARIABLE: {
      const name = value.name.value;
      if (name in variables) return variables[name];
      const def = operation.variableDefinitions?.find((d) => d.variable.name.value === name);
      return def?.defaultValue ? valueOf(def.defaultValue, {}, operation) : undefined;
    }
    case Kind.INT:
    case Kind.FLOAT:
      return Number(value.value);
    case Kind.LIST:
      return value.values.map((v) => valueOf(v, variables, operation));
    case Kind.OBJECT:
      return Object.fromEntries(value.fields.map((f) => [f.name.value, valueOf(f.value, variables, operation)]));
    case Kind.STRING:
    case Kind.ENUM:
    case Kind.BOOLEAN:
      return value.value;
    case Kind.NULL:
      return null;
    default:
      return undefined;
  }
}

/** Whether @skip/@include leave a selection in, and whether it carries any other directive. */
function included(directives: readonly DirectiveNode[] | undefined, variables: Variables, operation: OperationDefinitionNode): { in: boolean; other: boolean } {
  let other = false;
  for (const d of directives ?? []) {
    const name = d.name.value;
    if (name !== 'skip' && name !== 'include') {
      other = true;
      continue;
    }
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    const value = arg ? valueOf(arg.value, variables, operation) : undefined;
    if (name === 'skip' && value === true) return { in: false, other };
    if (name === 'include' && value !== true) return { in: false, other };
  }
  return { in: true, other };
}

/** Builds the plan of `operation` with `variables`. */
export function buildPlan(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables | undefined): QueryPlan {
  const vars = variables ?? {};
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // A field node under one parent type is planned once: fragments spread in many places share their plans.
  const planned = new Map<FieldNode, Map<string, PlanField>>();
  const inProgress = new Set<FieldNode>();
  let fragmentCycle: string | null = null;

  /** The field nodes of a selection set by response key, in order, fragments inlined (as graphql-js's collectFields). */
  function collect(
    set: SelectionSetNode, parent: GraphQLCompositeType, into: Map<string, Entry>,
    spread: Set<string>, visiting: Set<string>, directives: boolean, via: string | null,
  ): void {
    for (const s of set.selections) {
      const inc = included(s.directives, vars, operation);
      if (!inc.in) continue;
      const marked = directives || inc.other;
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        const entry = into.get(key);
        if (entry) {
          entry.nodes.push(s);
          entry.directives ||= marked;
        } else {
          into.set(key, { nodes: [s], directives: marked, via });
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (s.typeCondition && !applies(s.typeCondition.name.value, parent)) continue;
        collect(s.selectionSet, parent, into, spread, visiting, marked, via);
      } else {
        const name = s.name.value;
        if (visiting.has(name)) {
          fragmentCycle ??= name;
          continue;
        }
        if (spread.has(name)) continue;
        spread.add(name);
        const fragment = fragments.get(name);
        if (!fragment || !applies(fragment.typeCondition.name.value, parent)) continue;
        visiting.add(name);
        collect(fragment.selectionSet, parent, into, spread, visiting, marked, name);
        visiting.delete(name);
      }
    }
  }

  function applies(condition: string, parent: GraphQLCompositeType): boolean {
    if (condition === parent.name) return true;
    const type = schema.getType(condition);
    // An abstract parent or condition: the fields apply to the types they share.
    return !!type && (!isObjectType(parent) || isInterfaceType(type) || !isObjectType(type));
  }

  function fieldsOf(sets: readonly SelectionSetNode[], parent: GraphQLCompositeType): PlanField[] {
    const byKey = new Map<string, Entry>();
    const spread = new Set<string>();
    for (const set of sets) collect(set, parent, byKey, spread, new Set(), false, null);
    const out: PlanField[] = [];
    for (const [key, entry] of byKey) out.push(plan(key, entry, parent));
    return out;
  }

  function plan(key: string, { nodes, directives, via }: Entry, parent: GraphQLCompositeType): PlanField {
    const node = nodes[0];
    const single = nodes.length === 1 && !directives;
    const memoKey = parent.name;
    if (single) {
      const known = planned.get(node)?.get(memoKey);
      if (known) return known;
    }
    // A field inside its own selection: only fragments spreading each other make one.
    const cyclic = nodes.some((n) => inProgress.has(n));
    if (cyclic) fragmentCycle ??= via ?? node.name.value;
    const name = node.name.value;
    const def = (isObjectType(parent) || isInterfaceType(parent)) && !name.startsWith('__') ? parent.getFields()[name] : undefined;
    const introspection = name === '__schema' ? schema.getType('__Schema') : name === '__type' ? schema.getType('__Type') : undefined;
    const type = def ? getNamedType(def.type) : introspection ?? undefined;
    const args: Record<string, unknown> = {};
    for (const a of node.arguments ?? []) {
      const v = valueOf(a.value, vars, operation);
      if (v !== undefined) args[a.name.value] = v;
    }
    const field: PlanField = {
      key, name, parentType: parent.name, def, type, node, nodes, args, aliased: !!node.alias, directives,
    };
    const sets = nodes.map((n) => n.selectionSet).filter((s): s is SelectionSetNode => !!s);
    if (sets.length && type && isCompositeType(type)) {
      if (cyclic) return { ...field, fields: [] };
      for (const n of nodes) inProgress.add(n);
      field.fields = fieldsOf(sets, type);
      for (const n of nodes) inProgress.delete(n);
    }
    if (single) {
      let byParent = planned.get(node);
      if (!byParent) planned.set(node, byParent = new Map());
      byParent.set(memoKey, field);
    }
    return field;
  }

  const root = schema.getRootType(operation.operation);
  const roots = root ? fieldsOf([operation.selectionSet], root) : [];
  return { operation, kind: operation.operation, roots, variables: vars, fragmentCycle };
}

/** Per document (Apollo keeps parsed documents), the plans by operation and variables. */
const plans = new WeakMap<DocumentNode, Map<string, QueryPlan>>();
/** Plans kept per document: as many variable sets as a portal sends, not every one a caller makes up. */
const PLANS_PER_DOCUMENT = 100;

/**
 * The plan of an operation, made once per document, operation and
 * variables (when it has any) and kept with the document.
 */
export function planOf(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables | undefined,
): QueryPlan {
  let byKey = plans.get(document);
  if (!byKey) plans.set(document, byKey = new Map());
  const key = `${operation.name?.value ?? ''}\n${operation.variableDefinitions?.length ? JSON.stringify(variables ?? {}) : ''}`;
  let plan = byKey.get(key);
  if (!plan || plan.operation !== operation) {
    plan = buildPlan(schema, document, operation, variables);
    if (byKey.size < PLANS_PER_DOCUMENT) byKey.set(key, plan);
  }
  return plan;
}

/** The plan kept on a request's context (set once, by the first reader: src/query-plan/plugin.ts). */
export const planKey = Symbol('queryPlan');

export function planOfContext(context: object): QueryPlan | undefined {
  return (context as Record<symbol, QueryPlan | undefined>)[planKey];
}
