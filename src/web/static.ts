import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The built web apps (web/, built by Vite into web/dist by `npm run build`):
 * the portal at `/`, the kiosk at `/kiosk`, their hashed files under
 * `/assets/`, and the kiosk's service worker at `/kiosk-sw.js`. Both apps
 * talk to the service only through POST /graphql, like any other client.
 *
 * Hashed files never change under their name: cached for a year,
 * `immutable`. The pages and the service worker are revalidated on every
 * load (`no-cache` with an ETag) so that a new build shows at once. The
 * pages get a strict Content-Security-Policy: scripts, styles, images,
 * fonts and connections from this origin only, no inline script or style,
 * no frames.
 */
export const PAGE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "manifest-src 'self'", "worker-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');
/** The service worker fetches the kiosk page and files, nothing more. */
const WORKER_CSP = "default-src 'none'; connect-src 'self'";

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/** Where `npm run build` puts the web apps: web/dist in the project, found from src/web (ts-node) or dist/src/web (compiled). */
export function defaultWebDir(): string {
  let dir = __dirname;
  while (!(existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'web'))) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'web', 'dist');
}

interface Loaded { mtimeMs: number; raw: Buffer; gzip: Buffer; etag: string; type: string }

export type WebHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean;

/**
 * A request handler for the web apps: true when it answered. Files are read
 * on first use and kept in memory with their gzip (re-read when the file
 * changes on disk, e.g. after a rebuild).
 */
export function createWebHandler(dir: string = defaultWebDir()): WebHandler {
  const loaded = new Map<string, Loaded>();

  function load(rel: string): Loaded | undefined {
    const file = path.join(dir, rel);
    let mtimeMs: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return undefined;
      mtimeMs = st.mtimeMs;
    } catch {
      return undefined;
    }
    const cached = loaded.get(rel);
    if (cached && cached.mtimeMs === mtimeMs) return cached;
    const raw = readFileSync(file);
    const entry: Loaded = {
      mtimeMs, raw, gzip: gzipSync(raw, { level: 9 }),
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`,
      type: TYPES[path.extname(rel)] ?? 'application/octet-stream',
    };
    loaded.set(rel, entry);
    return entry;
  }

  function send(req: http.IncomingMessage, res: http.ServerResponse, file: Loaded, headers: Record<string, string>): void {
    const all: Record<string, string | number> = { 'content-type': file.type, etag: file.etag, vary: 'Accept-Encoding', ...headers };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, all);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && file.gzip.length < file.raw.length;
    const body = gzip ? file.gzip : file.raw;
    if (gzip) all['content-encoding'] = 'gzip';
    all['content-length'] = body.length;
    res.writeHead(200, all);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const p = url.pathname;
    if (p === '/' || p === '/kiosk') {
      const page = load(p === '/' ? 'index.html' : 'kiosk.html');
      if (!page) {
        const text = 'The web apps are not built yet: run `npm run build` (or `npm start`, which builds them).\n';
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
        return true;
      }
      send(req, res, page, { 'cache-control': REVALIDATE, 'content-security-policy': PAGE_CSP });
      return true;
    }
    if (p === '/kiosk-sw.js') {
      const worker = load('kiosk-sw.js');
      if (!worker) return false;
      send(req, res, worker, { 'cache-control': REVALIDATE, 'content-security-policy': WORKER_CSP });
      return true;
    }
    if (p.startsWith('/assets/')) {
      const name = p.slice('/assets/'.length);
      // Only the flat, hashed names the build writes: no directories, no dot files, no traversal.
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) return false;
      const asset = load(path.join('assets', name));
      if (!asset) return false;
      send(req, res, asset, { 'cache-control': IMMUTABLE });
      return true;
    }
    return false;
  };
}
