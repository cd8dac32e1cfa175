import { serverAudits } from 'graphql-http';
import { startTestService, type TestService } from '../support/test-service';

/**
 * The GraphQL-over-HTTP audit suite of the graphql-http package, against
 * the live server: every MUST and SHOULD passes.
 */
let t: TestService;
beforeAll(async () => { t = await startTestService({ anonymousRatePerSec: 100000, anonymousBurst: 100000 }); });
afterAll(async () => { await t?.stop(); });

const audits = serverAudits({ url: () => t.url, fetchFn: fetch });

test.each(audits.map((a) => [a.name, a] as const))('%s', async (_name, audit) => {
  const result = await audit.fn();
  if (result.status !== 'ok') {
    throw new Error(`${result.status}: ${result.reason}\n${JSON.stringify(await result.response.text?.().catch(() => null))}`);
  }
});
