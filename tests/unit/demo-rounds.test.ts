import { vietnamSpan } from '../../src/appraisal/round-windows';
import { demoExtensionCloses, demoRoundWindows } from '../../src/seed/demo-rounds.seed';

/** The demo's round windows follow the day it is seeded on (Vietnam time, UTC+7), whatever the calendar. */

test('self-assessment has closed, appraisal is open now, re-appraisal is to come; the late unit has a week more', () => {
  // Monday 30 November 2026, 16:30 in Hà Nội (09:30 UTC).
  const now = new Date('2026-11-30T09:30:00Z');
  const [self, appraisal, reappraisal] = demoRoundWindows(now);
  expect([self.round, appraisal.round, reappraisal.round]).toEqual(['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL']);
  // 60 days before the 30th at 08:00, to 8 days before at 17:00; then 7 days before to 21 days after; then 28 to 42 days after.
  expect(vietnamSpan(self.opensAt, self.closesAt)).toBe('2026-10-01 08:00–2026-11-22 17:00 (giờ Việt Nam)');
  expect(vietnamSpan(appraisal.opensAt, appraisal.closesAt)).toBe('2026-11-23 08:00–2026-12-21 17:00 (giờ Việt Nam)');
  expect(vietnamSpan(reappraisal.opensAt, reappraisal.closesAt)).toBe('2026-12-28 08:00–2027-01-11 17:00 (giờ Việt Nam)');
  expect(self.closesAt < now && appraisal.opensAt <= now && now < appraisal.closesAt && now < reappraisal.opensAt).toBe(true);
  // The extension: 7 December 17:00, after the self-assessment's close.
  expect(demoExtensionCloses(now).toISOString()).toBe('2026-12-07T10:00:00.000Z');
});

test("the day is Vietnam's: 23:30 UTC on 31 December is already 1 January", () => {
  const now = new Date('2026-12-31T23:30:00Z');
  const [, appraisal] = demoRoundWindows(now);
  expect(vietnamSpan(appraisal.opensAt, appraisal.closesAt)).toBe('2026-12-25 08:00–2027-01-22 17:00 (giờ Việt Nam)');
  expect(appraisal.opensAt <= now && now < appraisal.closesAt).toBe(true);
});
