/**
 * GraphQL over HTTP: a well-formed request whose document fails to parse,
 * validate, coerce its variables or pass the query limits is answered 400
 * under `application/graphql-response+json`, but 200 under the legacy
 * `application/json` (clients of that type read errors from the body).
 * Apollo answers 400 under both; this restores the legacy 200. Malformed
 * HTTP requests (no query, a bad body) keep their 4xx.
 */
const DOCUMENT_REASONS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);

export function legacyJsonStatus(status: number, contentType: string | undefined, body: string): number {
  if (status !== 400 || !contentType?.startsWith('application/json')) return status;
  let parsed: { data?: unknown; errors?: { extensions?: { code?: string; reason?: string } }[] };
  try {
    parsed = JSON.parse(body);
  } catch {
    return status;
  }
  if (!parsed.errors?.length || 'data' in parsed) return status;
  const documentErrors = parsed.errors.every((e) => {
    const x = e.extensions ?? {};
    return (x.reason !== undefined && DOCUMENT_REASONS.has(x.reason))
      || (x.code === 'QUERY_TOO_COMPLEX' && x.reason !== 'DOCUMENT_TOO_LARGE')
      || (x.code === 'BAD_USER_INPUT' && x.reason === undefined); // variable coercion
  });
  return documentErrors ? 200 : status;
}
