import { vietnamDate } from '../survey/vietnam-time';

/**
 * The demo's years, the one place that decides them: the open year is
 * the current year in Vietnam's time, the published one the year before,
 * whatever the date the demo is seeded on. A kiosk started on the demo
 * therefore rates the open year (a response's year is its Vietnam date's
 * year), and anonymous readers see the year before, published.
 *
 * When those two years are on the two-tier map (2025 on: no districts,
 * departments and communes merged), the demo also holds the last year of
 * the three-tier map, 2024, published ("earlier"), so that a newcomer sees
 * the units' history across the mergers (DOMAIN.md, "The map changes").
 *
 * The tables of demo-data.ts are written per role ("earlier", "published",
 * "open"), never per calendar year; everything that needs a year asks
 * `demoYears`.
 */
export type DemoRole = 'earlier' | 'published' | 'open';

export interface DemoYear {
  year: number;
  role: DemoRole;
}

/** The last year of the three-tier map (districts exist up to it). */
export const LAST_THREE_TIER_YEAR = 2024;

export interface DemoYears {
  /** The year whose results the seed publishes (the latest published one). */
  published: number;
  /** The current year in Vietnam: OPEN, rated by the demo kiosks. */
  open: number;
  /** The three-tier year published before them, when they are two-tier years; null otherwise. */
  earlier: number | null;
  /** Every year, oldest first: the order they are set up in. */
  all: readonly DemoYear[];
}

export function demoYears(now: Date = new Date()): DemoYears {
  const open = vietnamDate(now).year;
  const published = open - 1;
  const earlier = published > LAST_THREE_TIER_YEAR ? LAST_THREE_TIER_YEAR : null;
  return {
    published, open, earlier,
    all: [
      ...(earlier === null ? [] : [{ year: earlier, role: 'earlier' as const }]),
      { year: published, role: 'published' }, { year: open, role: 'open' },
    ],
  };
}

/** Whether a demo year is on the two-tier map (2025 on). */
export const isTwoTier = (year: number): boolean => year > LAST_THREE_TIER_YEAR;

/**
 * The seeds of the generator streams behind each role's figures. The demo
 * was tuned on these streams when its years were fixed (2023 published,
 * 2024 open): keeping them keeps every figure, band, tie and rank change the
 * same whatever the calendar year.
 */
export const DEMO_STREAM: Record<DemoRole, string> = { earlier: '2022', published: '2023', open: '2024' };
