import { roundTo, wilsonInterval, Z95 } from '../../src/survey/wilson';
import { vietnamDate } from '../../src/survey/vietnam-time';

const r3 = (x: number) => roundTo(x, 3);

describe('Wilson 95% score interval', () => {
  test('9 of 10 satisfied: 0.596 to 0.982', () => {
    // p = 0.9, z² = 3.841459, n = 10
    // denominator = 1 + z²/n = 1.384146
    // centre = (0.9 + z²/20) / 1.384146 = 1.092073 / 1.384146 = 0.788986
    // half = (z / 1.384146) · √(0.9·0.1/10 + z²/400) = 1.416009 · √0.018604 = 0.193137
    // → [0.595849, 0.982123]
    const { low, high } = wilsonInterval(9, 10);
    expect(r3(low)).toBe(0.596);
    expect(r3(high)).toBe(0.982);
    expect(low).toBeCloseTo(0.595849, 5);
    expect(high).toBeCloseTo(0.982123, 5);
  });

  test('0 of 10: the lower bound is exactly 0, the upper z²/(n+z²) = 0.278', () => {
    // With p = 0 the interval is [0, z²/(n + z²)] = [0, 3.841459 / 13.841459] = [0, 0.277533].
    const { low, high } = wilsonInterval(0, 10);
    expect(low).toBe(0);
    expect(high).toBeCloseTo(0.277533, 5);
  });

  test('10 of 10: the upper bound is exactly 1, the lower n/(n+z²) = 0.722', () => {
    const { low, high } = wilsonInterval(10, 10);
    expect(high).toBe(1);
    expect(low).toBeCloseTo(10 / 13.841459, 5);
    expect(r3(low)).toBe(0.722);
  });

  test('1 of 1 and 0 of 1 stay inside [0, 1] (the Wald interval would collapse to a point)', () => {
    // n = 1, p = 1: [1/(1+z²), 1] = [0.206543, 1]
    expect(wilsonInterval(1, 1).low).toBeCloseTo(1 / (1 + Z95 * Z95), 6);
    expect(wilsonInterval(1, 1).high).toBe(1);
    expect(wilsonInterval(0, 1).low).toBe(0);
    expect(wilsonInterval(0, 1).high).toBeCloseTo(Z95 * Z95 / (1 + Z95 * Z95), 6);
  });

  test('50 of 100: symmetric around one half, 0.404 to 0.596', () => {
    // centre = 0.5 exactly; half = (1.959964/1.038415)·√(0.0025 + 0.000096) = 1.887458 · 0.050951 = 0.096168
    const { low, high } = wilsonInterval(50, 100);
    expect(low + high).toBeCloseTo(1, 12);
    expect(r3(low)).toBe(0.404);
    expect(r3(high)).toBe(0.596);
  });

  test('0 of 0 carries no information: [0, 1]', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  test('refuses impossible counts', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError);
  });
});

describe('roundTo', () => {
  test('rounds half away from zero at 4 decimals', () => {
    expect(roundTo(0.12345, 4)).toBe(0.1235);
    expect(roundTo(0.9, 4)).toBe(0.9);
    expect(roundTo(2 / 3, 4)).toBe(0.6667);
  });
});

describe('the Asia/Ho_Chi_Minh date of an instant', () => {
  test('2023-12-31T20:00:00Z is 2024-01-01 in Vietnam', () => {
    expect(vietnamDate(new Date('2023-12-31T20:00:00Z'))).toEqual({ year: 2024, day: '2024-01-01' });
  });
  test('2023-12-31T16:59:59Z is still 2023-12-31', () => {
    expect(vietnamDate(new Date('2023-12-31T16:59:59Z'))).toEqual({ year: 2023, day: '2023-12-31' });
  });
  test('2023-12-31T17:00:00Z is the first second of 2024', () => {
    expect(vietnamDate(new Date('2023-12-31T17:00:00Z')).year).toBe(2024);
  });
});

