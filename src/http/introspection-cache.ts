import { print, type DocumentNode } from 'graphql';
import type { QueryPlan } from '../query-plan/plan';
import { BoundedLru } from '../util/bounded';
import { JsonText } from './rendered-queries';

/** Their answers' characters in all: the largest answer the limits let through (the full schema once) is about 0.5 MB. */
const MAX_CHARS = 16 * 1024 * 1024;

const INTROSPECTION_ROOTS = new Set(['__schema', '__type', '__typename']);

/**
 * Introspection answered once per selection. The schema does not change
 * while the service runs, so an operation asking only `__schema`,
 * `__type` and `__typename` has one answer for every caller: it is
 * executed the first time and its `data` kept as JSON text, keyed by the
 * document as graphql-js prints it (comments and layout dropped), the
 * operation's name and the variables. An IDE's deep introspection (about
 * 125 KB of JSON, tens of milliseconds of the one JavaScript thread) then
 * costs its parsing and validation only, whoever sends it and however its
 * text is dressed (a `#nonce` comment defeats the response cache, not
 * this). The limits (depth, cost, one `__schema` per operation, the
 * answer's size) and the caller's budget are applied before, as for any
 * operation.
 */
export class IntrospectionCache {
  /** Distinct selections kept (IDEs and code generators send a handful), 16 MB of answers at most. */
  private readonly answers = new BoundedLru<JsonText>({ maxEntries: 64, maxSize: MAX_CHARS, maxOne: MAX_CHARS, sizeOf: (a) => a.text.length });

  /** Whether the plan asks for introspection only (and something more than `__typename`). */
  static covers(plan: QueryPlan): boolean {
    return plan.kind === 'query' && plan.roots.some((r) => r.name !== '__typename')
      && plan.roots.every((r) => INTROSPECTION_ROOTS.has(r.name));
  }

  /** The operation's data: kept (`hit`), or executed by `execute` and kept when it has no errors. */
  async answer(
    document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined,
    execute: () => Promise<{ data?: unknown; errors?: readonly unknown[] }>,
  ): Promise<{ data?: unknown; errors?: readonly unknown[]; hit?: true }> {
    const key = `${operationName ?? ''}\n${JSON.stringify(variables ?? {})}\n${print(document)}`;
    const kept = this.answers.get(key);
    if (kept) return { data: kept, hit: true };
    const result = await execute();
    if (result.errors?.length || result.data === undefined || result.data === null) return result;
    // Two requests may have executed it at once: the second keeps its own.
    const text = new JsonText(JSON.stringify(result.data));
    this.answers.set(key, text);
    return { data: text };
  }
}
