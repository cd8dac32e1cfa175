import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The in-browser GraphQL IDE (GraphiQL 3) at GET /graphql, for closed
 * networks: its prebuilt bundle, React's UMD builds and our start-up
 * script are served from node_modules through this server under
 * /graphql/ide/. The page names no other host (GraphiQL's fonts are
 * inlined in its CSS as data: URLs).
 */
export const IDE_PREFIX = '/graphql/ide/';

interface Asset {
  file: () => string;
  type: string;
}

function fromPackage(pkg: string, rel: string): () => string {
  return () => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
}

const INIT_JS = `(function () {
  var fetcher = GraphiQL.createFetcher({ url: location.pathname.replace(/\\/ide\\/?$/, '') || '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    defaultQuery: '# PAR INDEX: the published ranking of a year, with each unit\\'s domain scores.\\n'
      + '# Add {"Authorization": "Bearer <token>"} under Headers to read as your role.\\n'
      + 'query Ranking($year: Int!) {\\n'
      + '  rankings(year: $year, unitKind: DEPARTMENT, first: 20) {\\n'
      + '    totalCount\\n'
      + '    edges { rank score node { unit { code name } band { label } domains { code score } } }\\n'
      + '  }\\n}\\n',
  }));
})();
`;

const assets: Record<string, Asset> = {
  'react.production.min.js': { file: fromPackage('react', 'umd/react.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'react-dom.production.min.js': { file: fromPackage('react-dom', 'umd/react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.js': { file: fromPackage('graphiql', 'graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.css': { file: fromPackage('graphiql', 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
};

export const IDE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PAR INDEX · GraphQL</title>
  <link rel="stylesheet" href="${IDE_PREFIX}graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the GraphQL IDE…</div>
  <script src="${IDE_PREFIX}react.production.min.js"></script>
  <script src="${IDE_PREFIX}react-dom.production.min.js"></script>
  <script src="${IDE_PREFIX}graphiql.min.js"></script>
  <script src="${IDE_PREFIX}init.js"></script>
</body>
</html>
`;

interface Loaded { raw: Buffer; gzip: Buffer; type: string; etag: string }
const loaded = new Map<string, Loaded>();

function load(name: string): Loaded | undefined {
  let l = loaded.get(name);
  if (l) return l;
  let raw: Buffer;
  let type: string;
  if (name === 'init.js') {
    raw = Buffer.from(INIT_JS, 'utf8');
    type = 'text/javascript; charset=utf-8';
  } else {
    const asset = Object.prototype.hasOwnProperty.call(assets, name) ? assets[name] : undefined;
    if (!asset) return undefined;
    raw = readFileSync(asset.file());
    type = asset.type;
  }
  l = { raw, gzip: gzipSync(raw), type, etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"` };
  loaded.set(name, l);
  return l;
}

/** Whether a GET asks for a page (a browser's navigation) rather than a GraphQL answer. */
export function wantsIde(req: http.IncomingMessage, url: URL): boolean {
  if (req.method !== 'GET' || url.searchParams.has('query') || url.searchParams.has('extensions')) return false;
  const accept = req.headers.accept ?? '';
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);
}

export function sendIdePage(res: http.ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(IDE_HTML),
    'cache-control': 'no-cache',
    // Only this server: scripts and styles from /graphql/ide/, fonts inlined, requests to /graphql.
    'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'",
  });
  res.end(IDE_HTML);
}

/** Serves /graphql/ide/<asset>; false if the path names no asset. */
export function serveIdeAsset(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): boolean {
  if (!pathname.startsWith(IDE_PREFIX)) return false;
  const asset = load(pathname.slice(IDE_PREFIX.length));
  if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const headers: Record<string, string | number> = {
    'content-type': asset.type, 'cache-control': 'public, max-age=86400', etag: asset.etag, vary: 'Accept-Encoding',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip : asset.raw;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
