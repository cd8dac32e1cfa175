import {
  getNamedType, getNullableType, isCompositeType, isLeafType, isListType, isObjectType, isInterfaceType, Kind,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLField,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode,
} from 'graphql';

/**
 * The static cost of one operation, computed on the document before it runs.
 *
 * - An object-typed field costs 1, a scalar or enum leaf 0.
 * - A list field multiplies what it holds (itself and everything below) by
 *   its size: its `first` argument (default from the schema), or the length
 *   of a list argument (`inputs: [...]`), or the estimate in `listSizes`
 *   (`Type.field`), else `defaultListSize`.
 * - A connection (a non-list field with `first`) costs 1, and its `edges`
 *   or `nodes` take the size `first` says.
 * - Fragments are expanded wherever they are spread (memoised, so a
 *   fragment spread many times costs one walk), and a fragment cycle is
 *   refused.
 * - A field whose work in the database depends on its arguments has a
 *   price of its own on top (`fieldCosts`, e.g. `Query.satisfaction` by
 *   how many tallies its scope scans).
 * - Introspection adds no depth (graphql-js's MaxIntrospectionDepthRule
 *   bounds its nesting) but is not free: each `__schema` costs
 *   `introspection.schemaCost`, each `__type` `introspection.typeCost`, and
 *   the answer's size is estimated (`introspectionSize`: objects in the
 *   answer, lists sized from the schema itself) so that it can be bounded.
 *
 * `depth` is the longest chain of fields; `aliases` counts aliased fields
 * in the expanded document; `types` names every type the operation reads;
 * `schemaFields` counts `__schema` selections.
 */
export interface OperationCost {
  cost: number;
  depth: number;
  aliases: number;
  types: Set<string>;
  schemaFields: number;
  introspectionSize: number;
}

export interface CostEstimates {
  /** Estimated sizes of list fields without `first`, by `Type.field`. */
  listSizes: Record<string, number>;
  defaultListSize: number;
  /** A field's own price by `Type.field`, from its arguments (values, variables resolved), added to what it holds. */
  fieldCosts?: Record<string, (args: Record<string, unknown>) => number>;
  introspection?: {
    schemaCost: number;
    typeCost: number;
    /** Sizes of the introspection lists (`__Schema.types`, `__Type.fields`, …), measured on the schema. */
    listSizes: Record<string, number>;
  };
}

/** Above this a cost is just "too much": keeps arithmetic finite whatever the document. */
const CAP = 1e12;

export class FragmentCycleError extends Error {}

type Variables = Record<string, unknown> | undefined;

interface Partial {
  cost: number;
  depth: number;
  aliases: number;
  types: Set<string>;
  schemaFields: number;
  introspectionSize: number;
}

const EMPTY: Partial = { cost: 0, depth: 0, aliases: 0, types: new Set(), schemaFields: 0, introspectionSize: 0 };

function argumentValue(value: ValueNode, variables: Variables, operation: OperationDefinitionNode): unknown {
  switch (value.kind) {
    case Kind.VARIABLE: {
      const name = value.name.value;
      if (variables && name in variables) return variables[name];
      const def = operation.variableDefinitions?.find((d) => d.variable.name.value === name);
      return def?.defaultValue ? argumentValue(def.defaultValue, undefined, operation) : undefined;
    }
    case Kind.INT:
    case Kind.FLOAT:
      return Number(value.value);
    case Kind.LIST:
      return value.values;
    case Kind.STRING:
    case Kind.ENUM:
      return value.value;
    case Kind.BOOLEAN:
      return value.value;
    case Kind.NULL:
      return null;
    default:
      return undefined;
  }
}

export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Variables,
  estimates: CostEstimates,
): OperationCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const memo = new Map<string, Partial>();
  const visiting = new Set<string>();

  function listSize(parent: GraphQLCompositeType, field: FieldNode, def: GraphQLField<unknown, unknown>, pending: number | undefined): number {
    for (const arg of field.arguments ?? []) {
      if (arg.name.value === 'first') continue;
      const v = argumentValue(arg.value, variables, operation);
      if (Array.isArray(v)) return Math.max(1, v.length);
    }
    if (pending !== undefined && (def.name === 'edges' || def.name === 'nodes')) return pending;
    return estimates.listSizes[`${parent.name}.${def.name}`] ?? estimates.defaultListSize;
  }

  function firstOf(field: FieldNode, def: GraphQLField<unknown, unknown>): number | undefined {
    const argDef = def.args.find((a) => a.name === 'first');
    if (!argDef) return undefined;
    const node = field.arguments?.find((a) => a.name.value === 'first');
    const v = node ? argumentValue(node.value, variables, operation) : argDef.defaultValue;
    const n = typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : (typeof argDef.defaultValue === 'number' ? argDef.defaultValue : estimates.defaultListSize);
    return Math.max(1, n);
  }

  /** The introspection answer's size: objects in it, each list sized from the schema. */
  function introspectionSize(set: SelectionSetNode, parent: GraphQLCompositeType): number {
    let size = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        size += introspectionSize(sel.selectionSet, parent);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        if (visiting.has(name)) throw new FragmentCycleError(`fragment ${name} spreads itself`);
        const frag = fragments.get(name);
        if (!frag) continue;
        visiting.add(name);
        size += introspectionSize(frag.selectionSet, parent);
        visiting.delete(name);
      } else {
        const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[sel.name.value] : undefined;
        if (!def || !sel.selectionSet) continue;
        const named = getNamedType(def.type);
        if (!isCompositeType(named)) continue;
        const list = isListType(getNullableType(def.type));
        const n = list ? (estimates.introspection?.listSizes[`${parent.name}.${def.name}`] ?? estimates.defaultListSize) : 1;
        size = Math.min(CAP, size + n * (1 + introspectionSize(sel.selectionSet, named)));
      }
    }
    return size;
  }

  function argumentsOf(field: FieldNode): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    for (const arg of field.arguments ?? []) args[arg.name.value] = argumentValue(arg.value, variables, operation);
    return args;
  }

  function walk(set: SelectionSetNode, parent: GraphQLCompositeType, pending: number | undefined): Partial {
    let cost = 0;
    let depth = 0;
    let aliases = 0;
    let schemaFields = 0;
    let introspection = 0;
    const types = new Set<string>();
    const add = (p: Partial) => {
      cost = Math.min(CAP, cost + p.cost);
      depth = Math.max(depth, p.depth);
      aliases += p.aliases;
      schemaFields += p.schemaFields;
      introspection = Math.min(CAP, introspection + p.introspectionSize);
      for (const t of p.types) types.add(t);
    };
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        add(walk(sel.selectionSet, (t && isCompositeType(t) ? t : parent), pending));
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const key = `${name}|${pending ?? ''}`;
        let r = memo.get(key);
        if (!r) {
          if (visiting.has(name)) throw new FragmentCycleError(`fragment ${name} spreads itself`);
          const frag = fragments.get(name);
          if (!frag) continue;
          const t = schema.getType(frag.typeCondition.name.value);
          visiting.add(name);
          r = walk(frag.selectionSet, t && isCompositeType(t) ? t : parent, pending);
          visiting.delete(name);
          memo.set(key, r);
        }
        add(r);
      } else {
        const name = sel.name.value;
        const alias = sel.alias ? 1 : 0;
        if (name === '__schema' || name === '__type') {
          // Introspection: a price of its own and a size to bound (see above).
          const intro = estimates.introspection;
          const t = schema.getType(name === '__schema' ? '__Schema' : '__Type');
          const size = sel.selectionSet && t && isCompositeType(t) ? 1 + introspectionSize(sel.selectionSet, t) : 1;
          add({
            ...EMPTY, aliases: alias, cost: name === '__schema' ? (intro?.schemaCost ?? 0) : (intro?.typeCost ?? 0),
            schemaFields: name === '__schema' ? 1 : 0, introspectionSize: size,
          });
          continue;
        }
        if (name.startsWith('__')) {
          // __typename: free.
          add({ ...EMPTY, aliases: alias });
          continue;
        }
        const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (!def) continue; // validation already refused unknown fields
        const named = getNamedType(def.type);
        types.add(named.name);
        const list = isListType(getNullableType(def.type));
        const first = firstOf(sel, def);
        let size = 1;
        let childPending: number | undefined;
        if (list) size = first ?? listSize(parent, sel, def, pending);
        else if (first !== undefined) childPending = first;
        const self = isLeafType(named) ? 0 : 1;
        const price = estimates.fieldCosts?.[`${parent.name}.${def.name}`];
        const own = price ? price(argumentsOf(sel)) : 0;
        const child = sel.selectionSet && isCompositeType(named) ? walk(sel.selectionSet, named, childPending) : EMPTY;
        add({
          cost: Math.min(CAP, own + size * (self + child.cost)),
          depth: 1 + child.depth,
          aliases: alias + child.aliases,
          types: child.types,
          schemaFields: child.schemaFields,
          introspectionSize: child.introspectionSize,
        });
      }
    }
    return { cost, depth, aliases, types, schemaFields, introspectionSize: introspection };
  }

  const root = schema.getRootType(operation.operation);
  if (!root) return { ...EMPTY, types: new Set() };
  const r = walk(operation.selectionSet, root, undefined);
  return { cost: r.cost, depth: r.depth, aliases: r.aliases, types: r.types, schemaFields: r.schemaFields, introspectionSize: r.introspectionSize };
}
