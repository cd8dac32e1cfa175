import { startTestService, type TestService } from '../support/test-service';

let t: TestService;
beforeAll(async () => { t = await startTestService(); });
afterAll(async () => { await t?.stop(); });

test('creates a unit and reads it back', async () => {
  const d = await t.ok(`mutation { createUnit(input: {code: "STP", name: "Sở Tư pháp", kind: DEPARTMENT}) { id code name kind } }`);
  expect(d.createUnit).toMatchObject({ code: 'STP', name: 'Sở Tư pháp', kind: 'DEPARTMENT' });
  const r = await t.ok(`{ units(kind: DEPARTMENT) { totalCount edges { node { code } } } }`, {}, null);
  expect(r.units.totalCount).toBe(1);
});
