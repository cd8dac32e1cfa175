import { startTestService, type TestService } from '../support/test-service';

/** The demo gains a kiosk with a burst and one with a stuck button; their alerts are raised at first start, and no others. */
let t: TestService;

beforeAll(async () => {
  t = await startTestService({ seedDemo: true });
}, 120000);

afterAll(async () => {
  await t?.stop();
});

test('first start: one BURST (20 responses) and one STREAK (40) alert, on the two demo kiosks only', async () => {
  const deadline = Date.now() + 20000;
  let alerts: { kioskAlerts: { rule: string; responses: number; status: string; kiosk: { label: string } }[] } = { kioskAlerts: [] };
  while (Date.now() < deadline) {
    alerts = await t.ok(`{ kioskAlerts { rule responses status kiosk { label } } }`);
    if (alerts.kioskAlerts.length >= 2) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const found = alerts.kioskAlerts.map((a) => [a.rule, a.responses, a.status, a.kiosk.label]).sort();
  if (found.length === 0) {
    // Before the first working morning of a year has passed there is nothing to seed (1 January early, or a Sunday-only start).
    const [known] = await t.sql(`SELECT count(*)::int AS n FROM kiosk WHERE label LIKE 'Quầy thử nghiệm%'`);
    expect(known.n).toBe(0);
    return;
  }
  expect(found).toEqual([
    ['BURST', 20, 'OPEN', 'Quầy thử nghiệm: gửi dồn dập'],
    ['STREAK', 40, 'OPEN', 'Quầy thử nghiệm: kẹt nút'],
  ]);
}, 60000);
