import { ADMIN_TOKEN, startTestService, type TestService } from '../support/test-service';

/*
 * Issue 12: an anonymous reader's kept answer is looked up as soon as its
 * body is read (src/http/hit-lane.ts): its text passed the edge's other
 * guards when the answer was stored. What may change since is still
 * checked on every hit (the database's health, the IP's rate), and a
 * request with a token never reaches the anonymous readers' answers.
 */
let t: TestService;
beforeAll(async () => {
  t = await startTestService({ anonymousRatePerSec: 1, anonymousBurst: 6 });
});
afterAll(async () => { await t?.stop(); });

const BODY = JSON.stringify({ query: '{ units { totalCount } }' });
const post = (headers: Record<string, string> = {}, body = BODY) =>
  fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('a hit is served with the security headers, counts against the IP\'s rate, and is refused like a miss once the rate is spent', async () => {
  const first = await post();
  expect(first.status).toBe(200);
  expect(first.headers.get('x-cache')).toBeNull();
  const answer = await first.text();
  const hits: string[] = [];
  let limited: Response | undefined;
  for (let i = 0; i < 10 && !limited; i++) {
    const res = await post();
    if (res.status === 429) limited = res;
    else {
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('HIT');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      hits.push(await res.text());
    }
  }
  // Burst 6: the miss and five hits, then the same refusal a miss gets.
  expect(hits).toEqual(Array(5).fill(answer));
  expect(limited?.status).toBe(429);
  expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
  const refusal = (await limited!.json()) as { errors: { message: string; extensions: { code: string } }[] };
  expect(refusal.errors[0].extensions.code).toBe('RATE_LIMITED');
  expect(refusal.errors[0].message).toMatch(/^Too many requests from .+; anonymous readers may make 1 per second$/);
});

test('a token never gets the anonymous readers\' kept answer; a blank Authorization header is an anonymous reader', async () => {
  await new Promise((r) => setTimeout(r, 3000)); // the IP's bucket refills (1 a second)
  const bad = await post({ authorization: 'Bearer par_a_not-a-real-token-at-all-000000' });
  expect(bad.status).toBe(401);
  expect(bad.headers.get('www-authenticate')).toBe('Bearer');
  expect(bad.headers.get('x-cache')).toBeNull();
  const admin = await post({ authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(admin.status).toBe(200);
  expect(admin.headers.get('x-cache')).toBeNull();
  const blank = await post({ authorization: '   ' });
  expect(blank.status).toBe(200);
  expect(blank.headers.get('x-cache')).toBe('HIT');
});

test('another text is read and checked whole: malformed JSON and a request the edge refuses are not served from the cache', async () => {
  await new Promise((r) => setTimeout(r, 3000));
  const malformed = await post({}, BODY.slice(0, -1));
  expect(malformed.status).toBe(400);
  expect(((await malformed.json()) as { errors: { message: string }[] }).errors[0].message).toBe('The request body is not valid JSON');
  const wrongType = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: BODY });
  expect(wrongType.status).toBe(415);
});
