import { createHash } from 'node:crypto';
import { type Selected, selectionKey } from './selection';

/** Statements by shape of query, each a named (prepared) statement: built and planned once per connection. */
const statements = new Map<string, { name: string; text: string }>();
const MAX_STATEMENTS = 200;

/**
 * The statement of a shape (`variant`, which must say everything `build`
 * depends on), named so that PostgreSQL plans it once per connection.
 */
export function memo(variant: string, build: () => string): { name?: string; text: string } {
  let statement = statements.get(variant);
  if (!statement) {
    const text = build();
    // Beyond the limit (as many selections as documents), an unnamed statement: nothing more kept per connection.
    if (statements.size >= MAX_STATEMENTS) return { text };
    statement = { name: `rankings_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
    statements.set(variant, statement);
  }
  return statement;
}

/** Per selection (kept with its plan), its statements by the rest of their variant. */
const bySelection = new WeakMap<readonly Selected[], Map<string, { name?: string; text: string }>>();

/**
 * memo of `variant` and `selected` (which `build` writes): found by the
 * selection itself and the short variant, without writing and hashing the
 * selection's whole key on every request.
 */
export function memoOf(selected: readonly Selected[], variant: string, build: () => string): { name?: string; text: string } {
  let shapes = bySelection.get(selected);
  if (!shapes) bySelection.set(selected, shapes = new Map());
  let statement = shapes.get(variant);
  if (!statement) {
    statement = memo(`${variant}:${selectionKey(selected)}`, build);
    if (statement.name) shapes.set(variant, statement); // an unnamed one (beyond the bound) is built again, as memo's are
  }
  return statement;
}
