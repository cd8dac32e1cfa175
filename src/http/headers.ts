import type http from 'node:http';

/** Standard security headers on every answer (the IDE page sets its own CSP). */
export const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-site',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

const SECURITY_HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);

/** Sets {@link SECURITY_HEADERS} and the request's id on an answer (the hit lane writes them its own way: src/http/hit-lane.ts). */
export function setStandardHeaders(res: http.ServerResponse, requestId: string): void {
  res.setHeader('x-request-id', requestId);
  for (const [name, value] of SECURITY_HEADER_ENTRIES) res.setHeader(name, value);
}

/** Whether CORS adds headers to the answer to `req` (applyCors). */
export function corsApplies(req: http.IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  return !!origin && allowed.length > 0 && (allowed.includes('*') || allowed.includes(origin));
}

/**
 * CORS for the portal origins listed in CORS_ORIGINS ("*" allows any).
 * Returns true when the request was a preflight and has been answered.
 */
export function applyCors(req: http.IncomingMessage, res: http.ServerResponse, allowed: string[]): boolean {
  if (corsApplies(req, allowed)) {
    const origin = req.headers.origin!;
    res.setHeader('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-max-age', '600');
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204);
    res.end();
    return true;
  }
  return false;
}
