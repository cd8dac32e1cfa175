/** Vietnam keeps UTC+7 all year (no daylight saving since 1975). */
const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

/**
 * The Asia/Ho_Chi_Minh calendar year and date of an instant: the UTC instant
 * plus 7 hours. 2023-12-31T20:00:00Z is 2024-01-01 03:00 in Hà Nội: year 2024.
 */
export function vietnamDate(instant: Date): { year: number; day: string } {
  const local = new Date(instant.getTime() + VIETNAM_OFFSET_MS);
  return { year: local.getUTCFullYear(), day: local.toISOString().slice(0, 10) };
}
