import { demoOfficeDays, demoRatings } from '../../src/seed/demo-activity';
import { DEMO_DISTRICTS } from '../../src/seed/demo-data';
import { demoYears } from '../../src/seed/demo-years';

/** The demo's years follow the date in Vietnam (UTC+7), and its open year's ratings never lie in the future. */

test('the open year is the current year in Vietnam, the published one the year before', () => {
  expect(demoYears(new Date('2026-11-30T06:00:00Z'))).toMatchObject({ published: 2025, open: 2026 });
  // 31 December 17:30 UTC is already 1 January 00:30 in Huế.
  expect(demoYears(new Date('2026-12-31T17:30:00Z'))).toMatchObject({ published: 2026, open: 2027 });
  expect(demoYears(new Date('2026-12-31T16:59:59Z')).open).toBe(2026);
  // On the two-tier map (2025 on), 2024 is there too, published, on the three-tier map: the units' history across the mergers.
  expect(demoYears(new Date('2030-06-01T00:00:00Z')).all).toEqual([
    { year: 2024, role: 'earlier' }, { year: 2029, role: 'published' }, { year: 2030, role: 'open' },
  ]);
  expect(demoYears(new Date('2026-06-01T00:00:00Z'))).toMatchObject({ earlier: 2024, published: 2025, open: 2026 });
  // Seeded in 2025, the published year is the last three-tier one already: no earlier year.
  expect(demoYears(new Date('2025-06-01T00:00:00Z'))).toEqual({
    earlier: null, published: 2024, open: 2025, all: [{ year: 2024, role: 'published' }, { year: 2025, role: 'open' }],
  });
});

const HUE = DEMO_DISTRICTS.find((u) => u.code === 'HUE')!;
const vn = (d: Date) => new Date(d.getTime() + 7 * 3_600_000);

test('open-year ratings fall in office hours already over, spread up to now', () => {
  // Wednesday 4 March 2026, 10:20 in Huế: office hours over are 2 January to 3 March, and 8:00-9:59 on the 4th.
  const now = new Date('2026-03-04T03:20:00Z');
  const days = demoOfficeDays(2026, now);
  expect(days[0]).toEqual({ month: 0, day: 1, hours: 9 });
  expect(days[days.length - 1]).toEqual({ month: 2, day: 4, hours: 2 });
  const ratings = demoRatings({ year: 2026, role: 'open' }, HUE, 1, 2, now);
  expect(ratings).toHaveLength(214);
  for (const { response } of ratings) {
    const at = response.submittedAt as Date;
    expect(at.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(vn(at).getUTCFullYear()).toBe(2026);
    expect([1, 2, 3, 4, 5]).toContain(vn(at).getUTCDay());
    expect(vn(at).getUTCHours()).toBeGreaterThanOrEqual(8);
    expect(vn(at).getUTCHours()).toBeLessThanOrEqual(16);
  }
  expect(new Set(ratings.map((r) => vn(r.response.submittedAt as Date).getUTCMonth()))).toEqual(new Set([0, 1, 2]));
});

test('in the first hours of a year, before any office hour, open-year ratings fall between New Year and now', () => {
  const now = new Date('2027-01-01T00:30:00Z'); // 07:30 on 1 January in Huế
  expect(demoOfficeDays(2027, now)).toEqual([]);
  const ratings = demoRatings({ year: 2027, role: 'open' }, HUE, 1, 2, now);
  for (const { response } of ratings) {
    const at = (response.submittedAt as Date).getTime();
    expect(at).toBeLessThan(now.getTime());
    expect(at).toBeGreaterThanOrEqual(Date.parse('2026-12-31T17:00:00Z'));
  }
});

test('the figures do not depend on the calendar year: the same answers whatever the year', () => {
  const a = demoRatings({ year: 2025, role: 'published' }, HUE, 1, 2).map((r) => r.response.answers);
  const b = demoRatings({ year: 2031, role: 'published' }, HUE, 1, 2).map((r) => r.response.answers);
  expect(a).toEqual(b);
});
