import { createHash } from 'node:crypto';

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
