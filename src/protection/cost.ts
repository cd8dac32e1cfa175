import {
  getNullableType, isLeafType, isListType, type DocumentNode, type GraphQLField, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import { buildPlan, type PlanField, type QueryPlan } from '../query-plan/plan';

/**
 * The static cost of one operation, computed on its query plan
 * (src/query-plan/plan.ts: fragments inlined, fields of one response key
 * merged, @skip/@include decided) before it runs.
 *
 * - An object-typed field costs 1, a scalar or enum leaf 0.
 * - A list field multiplies what it holds (itself and everything below) by
 *   its size: its `first` argument (default from the schema), or the length
 *   of a list argument (`inputs: [...]`), or the estimate in `listSizes`
 *   (`Type.field`), else `defaultListSize`.
 * - A connection (a non-list field with `first`) costs 1, and its `edges`
 *   or `nodes` take the size `first` says.
 * - Fragments are expanded wherever they are spread (the plan shares a
 *   fragment's fields, and the walk is memoised on them, so a fragment
 *   spread many times costs one walk), and a fragment cycle is refused.
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

interface Partial {
  cost: number;
  depth: number;
  aliases: number;
  types: Set<string>;
  schemaFields: number;
  introspectionSize: number;
}

const EMPTY: Partial = { cost: 0, depth: 0, aliases: 0, types: new Set(), schemaFields: 0, introspectionSize: 0 };

/** The cost of an operation of a document with its variables (its plan built here). */
export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  estimates: CostEstimates,
): OperationCost {
  return analyzePlan(buildPlan(schema, document, operation, variables), estimates);
}

/** The cost of a planned operation. */
export function analyzePlan(plan: QueryPlan, estimates: CostEstimates): OperationCost {
  if (plan.fragmentCycle !== null) throw new FragmentCycleError(`fragment ${plan.fragmentCycle} spreads itself`);
  // Per shared selection (a fragment's fields are one array wherever spread) and connection size.
  const memo = new WeakMap<readonly PlanField[], Map<number | undefined, Partial>>();

  function listSize(field: PlanField, def: GraphQLField<unknown, unknown>, pending: number | undefined): number {
    for (const [name, v] of Object.entries(field.args)) {
      if (name !== 'first' && Array.isArray(v)) return Math.max(1, v.length);
    }
    if (pending !== undefined && (def.name === 'edges' || def.name === 'nodes')) return pending;
    return estimates.listSizes[`${field.parentType}.${def.name}`] ?? estimates.defaultListSize;
  }

  function firstOf(field: PlanField, def: GraphQLField<unknown, unknown>): number | undefined {
    const argDef = def.args.find((a) => a.name === 'first');
    if (!argDef) return undefined;
    const v = 'first' in field.args ? field.args.first : argDef.defaultValue;
    const n = typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : (typeof argDef.defaultValue === 'number' ? argDef.defaultValue : estimates.defaultListSize);
    return Math.max(1, n);
  }

  /** The introspection answer's size: objects in it, each list sized from the schema. */
  function introspectionSize(fields: readonly PlanField[]): number {
    let size = 0;
    for (const f of fields) {
      if (!f.def || !f.fields) continue;
      const list = isListType(getNullableType(f.def.type));
      const n = list ? (estimates.introspection?.listSizes[`${f.parentType}.${f.name}`] ?? estimates.defaultListSize) : 1;
      size = Math.min(CAP, size + n * (1 + introspectionSize(f.fields)));
    }
    return size;
  }

  function walk(fields: readonly PlanField[], pending: number | undefined): Partial {
    const known = memo.get(fields)?.get(pending);
    if (known) return known;
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
    for (const field of fields) {
      const alias = field.aliased ? 1 : 0;
      if (field.name === '__schema' || field.name === '__type') {
        // Introspection: a price of its own and a size to bound (see above).
        const intro = estimates.introspection;
        add({
          ...EMPTY, aliases: alias, cost: field.name === '__schema' ? (intro?.schemaCost ?? 0) : (intro?.typeCost ?? 0),
          schemaFields: field.name === '__schema' ? 1 : 0, introspectionSize: 1 + (field.fields ? introspectionSize(field.fields) : 0),
        });
        continue;
      }
      if (field.name.startsWith('__')) {
        // __typename: free.
        add({ ...EMPTY, aliases: alias });
        continue;
      }
      const def = field.def;
      const named = field.type;
      if (!def || !named) continue; // validation already refused unknown fields
      types.add(named.name);
      const list = isListType(getNullableType(def.type));
      const first = firstOf(field, def);
      let size = 1;
      let childPending: number | undefined;
      if (list) size = first ?? listSize(field, def, pending);
      else if (first !== undefined) childPending = first;
      const self = isLeafType(named) ? 0 : 1;
      const price = estimates.fieldCosts?.[`${field.parentType}.${def.name}`];
      const own = price ? price(field.args) : 0;
      const child = field.fields ? walk(field.fields, childPending) : EMPTY;
      add({
        cost: Math.min(CAP, own + size * (self + child.cost)),
        depth: 1 + child.depth,
        aliases: alias + child.aliases,
        types: child.types,
        schemaFields: child.schemaFields,
        introspectionSize: child.introspectionSize,
      });
    }
    const r = { cost, depth, aliases, types, schemaFields, introspectionSize: introspection };
    let byPending = memo.get(fields);
    if (!byPending) memo.set(fields, byPending = new Map());
    byPending.set(pending, r);
    return r;
  }

  const r = walk(plan.roots, undefined);
  return { cost: r.cost, depth: r.depth, aliases: r.aliases, types: new Set(r.types), schemaFields: r.schemaFields, introspectionSize: r.introspectionSize };
}
