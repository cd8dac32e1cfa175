import { Query, type Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';

/**
 * A named (prepared) statement's Query, made from its text and values and
 * named after, so that pg does not copy a config object for it: pg copies
 * every query's config with Object.defineProperties before reading it
 * (about 4 µs a call, a few per cent of an uncached page of the portal),
 * but not a text.
 */
export class NamedQuery<R extends QueryResultRow = QueryResultRow> extends Query<R> {
  /** pg's own field (untyped there): what the statement is prepared as. */
  declare name: string | undefined;

  constructor(private readonly statement: { name?: string; text: string }, private readonly params: unknown[]) {
    super(statement.text, params);
    if (statement.name !== undefined) this.name = statement.name;
  }

  /** The same statement as a config, for a wrapper that may run it more than once (src/db/read-routing.ts). */
  toConfig(): QueryConfig {
    return { ...this.statement, values: this.params };
  }
}

/** Runs a named statement on `pool`, as `pool.query({ name, text, values })` does (NamedQuery). */
export function namedQuery<R extends QueryResultRow>(pool: Pool, statement: { name?: string; text: string }, values: unknown[]): Promise<QueryResult<R>> {
  // pg-pool runs a Query like a config (client.query calls it back) and answers with its promise; its types say otherwise.
  return pool.query(new NamedQuery<R>(statement, values)) as unknown as Promise<QueryResult<R>>;
}
