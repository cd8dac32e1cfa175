/** A field as the caller selected it: its response key (alias or name), its name, the fields selected under it. */
export interface Selected { key: string; name: string; fields?: readonly Selected[] }

/**
 * Which fields of a result to read: its own figures, its unit's, its
 * band, its domain results' (null: not read). Ids and codes the field
 * resolvers need (cycle, unit, band code, the unit's id and parent) are
 * always read.
 */
export interface ResultSelection { fields: readonly string[]; unit: readonly string[] | null; band: boolean; domains: readonly string[] | null }

/**
 * A bug, never the client's input: the planner admits only the fields the
 * renderers have SQL for, and the service reads every field it writes. It
 * answers INTERNAL_SERVER_ERROR (logged with its stack); a rendered query
 * that meets one is resolved field by field instead.
 */
export class PlanInvariantError extends Error {
  override name = 'PlanInvariantError';
}

/** A selection as text, for the statement cache (selections are kept per document, so per object). */
const selectionKeys = new WeakMap<readonly Selected[], string>();
export function selectionKey(selected: readonly Selected[]): string {
  let key = selectionKeys.get(selected);
  if (key === undefined) {
    const text = (list: readonly Selected[]): string => list.map((s) => `${s.key}:${s.name}${s.fields ? `{${text(s.fields)}}` : ''}`).join(',');
    key = text(selected);
    selectionKeys.set(selected, key);
  }
  return key;
}
