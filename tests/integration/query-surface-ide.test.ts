import { startTestService, type TestService } from '../support/test-service';

/** The in-browser IDE at GET /graphql: served whole from this server, no CDN. */
let t: TestService;
beforeAll(async () => { t = await startTestService(); });
afterAll(async () => { await t?.stop(); });

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

test('a browser GET of /graphql gets the IDE page, which references only assets of this server', async () => {
  const res = await fetch(t.url, { headers: { accept: BROWSER_ACCEPT } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  const html = await res.text();
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toMatch(/(src|href)=["']\/\//);
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  expect(refs).toEqual(expect.arrayContaining([
    '/graphql/ide/graphiql.min.css', '/graphql/ide/react.production.min.js',
    '/graphql/ide/react-dom.production.min.js', '/graphql/ide/graphiql.min.js', '/graphql/ide/init.js',
  ]));
  for (const ref of refs) {
    const asset = await fetch(new URL(ref, t.url), { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(ref.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
    const body = await asset.text();
    expect(body.length).toBeGreaterThan(ref.endsWith('init.js') ? 100 : 10000);
    if (ref.endsWith('.css')) expect(body).not.toMatch(/url\(\s*["']?(https?:)?\/\//); // fonts are inlined
  }
});

test('the start-up script points GraphiQL at this endpoint', async () => {
  const js = await (await fetch(new URL('/graphql/ide/init.js', t.url))).text();
  expect(js).toContain('GraphiQL.createFetcher');
  expect(js).not.toMatch(/https?:\/\//);
});

test('unknown IDE paths are not found and cannot escape the asset list', async () => {
  for (const p of ['/graphql/ide/../../package.json', '/graphql/ide/%2e%2e%2fpackage.json', '/graphql/ide/nope.js']) {
    const res = await fetch(new URL(p, t.url));
    expect(res.status).toBe(404);
  }
});

test('GraphQL clients on GET still get GraphQL, not the page', async () => {
  const res = await fetch(`${t.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/graphql-response+json' } });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
});
