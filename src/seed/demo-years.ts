import { vietnamDate } from '../survey/vietnam-time';

/**
 * The demo's two years, the one place that decides them: the open year is
 * the current year in Vietnam's time, the published one the year before,
 * whatever the date the demo is seeded on. A kiosk started on the demo
 * therefore rates the open year (a response's year is its Vietnam date's
 * year), and anonymous readers see the year before, published.
 *
 * The tables of demo-data.ts are written per role ("published", "open"),
 * never per calendar year; everything that needs a year asks `demoYears`.
 */
export type DemoRole = 'published' | 'open';

export interface DemoYear {
  year: number;
  role: DemoRole;
}

export interface DemoYears {
  /** The year whose results the seed publishes. */
  published: number;
  /** The current year in Vietnam: OPEN, rated by the demo kiosks. */
  open: number;
  /** Both, oldest first: the order they are set up in. */
  all: readonly [DemoYear, DemoYear];
}

export function demoYears(now: Date = new Date()): DemoYears {
  const open = vietnamDate(now).year;
  const published = open - 1;
  return { published, open, all: [{ year: published, role: 'published' }, { year: open, role: 'open' }] };
}

/**
 * The seeds of the generator streams behind each role's figures. The demo
 * was tuned on these streams when its years were fixed (2023 published,
 * 2024 open): keeping them keeps every figure, band, tie and rank change the
 * same whatever the calendar year.
 */
export const DEMO_STREAM: Record<DemoRole, string> = { published: '2023', open: '2024' };
