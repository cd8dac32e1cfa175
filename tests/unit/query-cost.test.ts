import { buildSchema, getOperationAST, parse } from 'graphql';
import 'reflect-metadata';
import { loadConfig } from '../../src/config/config';
import { analyzeOperation, FragmentCycleError } from '../../src/protection/cost';
import { costEstimates } from '../../src/protection/limits';
import { createSchema } from '../../src/schema';

/** The cost model of src/protection/cost.ts on a small schema, figures worked out by hand. */
const schema = buildSchema(`
  type Query { unit(code: String!): Unit units(first: Int = 20): UnitConnection! list(ids: [ID!]): [Unit!]! }
  type UnitConnection { totalCount: Int! edges: [UnitEdge!]! }
  type UnitEdge { node: Unit! }
  type Unit { code: String! parent: Unit children: [Unit!]! tags: [String!]! }
`);
const estimates = { defaultListSize: 10, listSizes: { 'Unit.children': 50 } };

function cost(query: string, variables?: Record<string, unknown>) {
  const doc = parse(query);
  return analyzeOperation(schema, doc, getOperationAST(doc)!, variables, estimates);
}

test('leaves are free, objects cost 1', () => {
  // unit 1 + parent 1
  expect(cost('{ unit(code: "A") { code parent { code } } }')).toMatchObject({ cost: 2, depth: 3, aliases: 0 });
});

test('a connection takes its size from first, default from the schema', () => {
  // units 1 + edges 20 × (edge 1 + node 1) = 41
  expect(cost('{ units { totalCount edges { node { code } } } }').cost).toBe(41);
  // first: 100 → 1 + 100 × 2 = 201, through a variable too
  expect(cost('query($n: Int) { units(first: $n) { edges { node { code } } } }', { n: 100 }).cost).toBe(201);
});

test('lists multiply what they hold: estimates, then list arguments', () => {
  // unit 1 + children 50 × (1 + children 50 × 1) = 1 + 50 × 51 = 2551
  expect(cost('{ unit(code: "A") { children { children { code } } } }').cost).toBe(2551);
  // list(ids: 3 items) → 3 × (1 + children 50) = 153
  expect(cost('{ list(ids: ["1", "2", "3"]) { children { code } } }').cost).toBe(153);
  expect(cost('query($ids: [ID!]) { list(ids: $ids) { code } }', { ids: ['1', '2'] }).cost).toBe(2);
});

test('aliases and fragments count as written out', () => {
  // two aliases × (1 + 50) = 102
  const r = cost('{ a: unit(code: "A") { ...C } b: unit(code: "B") { ...C } } fragment C on Unit { children { code } }');
  expect(r).toMatchObject({ cost: 102, aliases: 2, depth: 3 });
  expect(r.types).toEqual(new Set(['Unit', 'String']));
});

test('introspection is free and adds no depth', () => {
  expect(cost('{ __schema { types { fields { type { ofType { name } } } } } }')).toMatchObject({ cost: 0, depth: 0 });
});

test('a fragment cycle is refused', () => {
  expect(() => cost('{ unit(code: "A") { ...A } } fragment A on Unit { parent { ...B } } fragment B on Unit { parent { ...A } }'))
    .toThrow(FragmentCycleError);
});

test("an anonymous reader can read a whole framework four levels deep within the default budget", async () => {
  // Built from the real schema with the real estimates: the public contract says anonymous readers read frameworks.
  const real = await createSchema({} as never);
  const c = 'code name maxPoints source questionCodes';
  const doc = parse(`{ cycle(year: 2024, unitKind: DEPARTMENT) { year maxPoints bands { code minScore }
    domains { code maxPoints criteria { ${c} children { ${c} children { ${c} children { ${c} } } } } } } }`);
  const { cost: total } = analyzeOperation(real, doc, getOperationAST(doc)!, {}, costEstimates);
  // cycle 1 + bands 5 + domains 10 × (1 + criteria 6 × (1 + 3 × (1 + 3 × (1 + 3))))) = 1 + 5 + 10 × (1 + 6 × 40) = 2416
  expect(total).toBe(2416);
  expect(total).toBeLessThanOrEqual(loadConfig({}).queryLimits.budgets.anonymous);
});
