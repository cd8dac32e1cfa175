/**
 * The one way both apps talk to the service: POST /graphql on the page's
 * own origin, as the public contract (API.md) describes. Nothing else.
 */
export interface GraphQLErrorBody { message: string; extensions?: { code?: string; field?: string } }

/** A request that got no usable answer: `code` is the contract's code, or NETWORK when nothing came back. */
export class RequestFailed extends Error {
  constructor(message: string, readonly code: string, readonly status: number) {
    super(message);
  }

  /** Worth sending again later: the network, the database or a rate limit, not the request itself. */
  get retryable(): boolean {
    return this.code === 'NETWORK' || this.code === 'SERVICE_UNAVAILABLE' || this.code === 'RATE_LIMITED'
      || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

export async function graphql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new RequestFailed(String((e as Error)?.message ?? e), 'NETWORK', 0);
  }
  let body: { data?: T; errors?: GraphQLErrorBody[] } | undefined;
  try {
    body = await res.json();
  } catch {
    throw new RequestFailed(`HTTP ${res.status}`, res.status === 401 ? 'UNAUTHENTICATED' : 'NETWORK', res.status);
  }
  const error = body?.errors?.[0];
  if (error || !body?.data) {
    throw new RequestFailed(error?.message ?? `HTTP ${res.status}`, error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR', res.status);
  }
  return body.data;
}

/** The calendar year in Vietnam (UTC+7 all year) of an instant: the year a kiosk response belongs to. */
export function vietnamYear(at: Date = new Date()): number {
  return new Date(at.getTime() + 7 * 3_600_000).getUTCFullYear();
}
