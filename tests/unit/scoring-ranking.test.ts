import Decimal from 'decimal.js';

import {
  type BandSpec,
  classify,
  compareVietnamese,
  listingOrder,
  DEFAULT_BANDS,
  type Rankable,
  rankChange,
  rankItems,
  roundHalfUp2,
  ScoringDecimal,
  summarize,
  toDecimal,
} from '../../src/scoring';

const item = (name: string, score: string | null, code = name): Rankable => ({
  key: `k-${code}`,
  name,
  code,
  score: score === null ? null : new ScoringDecimal(score),
});
const ranked = (items: Rankable[]) => rankItems(items).map(({ item: i, rank }) => [rank, i.name]);

describe('roundHalfUp2', () => {
  it('rounds half up (away from zero), not half to even', () => {
    expect(roundHalfUp2(new ScoringDecimal('92.625')).toFixed(2)).toBe('92.63');
    expect(roundHalfUp2(new ScoringDecimal('92.635')).toFixed(2)).toBe('92.64');
    expect(roundHalfUp2(new ScoringDecimal('92.62499999999999999999999999')).toFixed(2)).toBe('92.62');
    expect(roundHalfUp2(new ScoringDecimal('89.995')).toFixed(2)).toBe('90.00');
    expect(roundHalfUp2(new ScoringDecimal('90.004')).toFixed(2)).toBe('90.00');
    expect(roundHalfUp2(new ScoringDecimal('-1.005')).toFixed(2)).toBe('-1.01');
    expect(roundHalfUp2(new ScoringDecimal('0')).toFixed(2)).toBe('0.00');
  });

  it('is idempotent and accepts a Decimal of any configuration', () => {
    const once = roundHalfUp2(new ScoringDecimal('85.625'));
    expect(roundHalfUp2(once).toString()).toBe(once.toString());
    const Low = Decimal.clone({ precision: 5, rounding: Decimal.ROUND_HALF_EVEN });
    expect(roundHalfUp2(new Low('85.625')).toFixed(2)).toBe('85.63');
  });

  it('reads figures as pg sends them and refuses non-numbers', () => {
    expect(toDecimal('95.70').toFixed(2)).toBe('95.70');
    expect(toDecimal(' 12.5 ').toString()).toBe('12.5');
    expect(() => toDecimal('abc', 'score')).toThrow('score "abc" is not a number');
    expect(() => toDecimal(Number.NaN, 'score')).toThrow('score NaN is not a finite number');
    expect(() => toDecimal(Number.POSITIVE_INFINITY)).toThrow('is not a finite number');
  });
});

describe('compareVietnamese', () => {
  it('orders Ă, Â after A and Đ after D, before E', () => {
    const names = ['Đông Hà', 'Dương Kinh', 'Eakar', 'An Phú', 'Ân Thi', 'Ba Vì'];
    expect([...names].sort(compareVietnamese)).toEqual(['An Phú', 'Ân Thi', 'Ba Vì', 'Dương Kinh', 'Đông Hà', 'Eakar']);
    expect(['Âu Cơ', 'Ăn Khê', 'Anh Sơn'].sort(compareVietnamese)).toEqual(['Anh Sơn', 'Ăn Khê', 'Âu Cơ']);
  });

  it('orders Ô, Ơ after O and Ư after U; tones only break ties', () => {
    expect(['Ơn', 'Ôn', 'On'].sort(compareVietnamese)).toEqual(['On', 'Ôn', 'Ơn']);
    expect(['Ưu', 'Uy'].sort(compareVietnamese)).toEqual(['Uy', 'Ưu']);
    // tone marks are secondary: "Hà Nam" before "Ha Noi" because n-a < n-o, whatever the tones
    expect(['Ha Noi', 'Hà Nam', 'Hai Bà Trưng', 'Hà Đông'].sort(compareVietnamese)).toEqual([
      'Hà Đông',
      'Hà Nam',
      'Ha Noi',
      'Hai Bà Trưng',
    ]);
    expect(compareVietnamese('Ha', 'Hà')).toBeLessThan(0);
  });

  it('compares numbers by value and composed and decomposed spellings alike', () => {
    expect(['Phường 10', 'Phường 2', 'Phường 1'].sort(compareVietnamese)).toEqual(['Phường 1', 'Phường 2', 'Phường 10']);
    expect(compareVietnamese('Hoàn Kiếm'.normalize('NFD'), 'Hoàn Kiếm'.normalize('NFC'))).toBe(0);
  });
});

describe('rankItems', () => {
  it('ranks tied units 1, 2, 2, 4 (standard competition ranking)', () => {
    expect(
      ranked([item('Cầu Giấy', '95.22'), item('Nam Từ Liêm', '95.70'), item('Ba Đình', '96.10'), item('Hoàn Kiếm', '95.70')]),
    ).toEqual([
      [1, 'Ba Đình'],
      [2, 'Hoàn Kiếm'],
      [2, 'Nam Từ Liêm'],
      [4, 'Cầu Giấy'],
    ]);
  });

  it('ranks on the rounded score: 90.004 and 89.995 both publish as 90.00 and share a rank', () => {
    expect(ranked([item('Bảo Lâm', '89.995'), item('An Lão', '90.004'), item('Cát Tiên', '89.994')])).toEqual([
      [1, 'An Lão'],
      [1, 'Bảo Lâm'],
      [3, 'Cát Tiên'],
    ]);
    // a higher exact score does not put a unit first among units tied once rounded: name order does
    expect(ranked([item('Bảo Lâm', '90.004'), item('An Lão', '89.995')])).toEqual([
      [1, 'An Lão'],
      [1, 'Bảo Lâm'],
    ]);
  });

  it('lists ties by Vietnamese name, then code, whatever the input order', () => {
    const units = [item('Đông Hà', '85', 'DH'), item('Dương Kinh', '85', 'DK'), item('Châu Thành', '85', 'CT-2'), item('Châu Thành', '85', 'CT-1')];
    const expected = [
      [1, 'Châu Thành', 'CT-1'],
      [1, 'Châu Thành', 'CT-2'],
      [1, 'Dương Kinh', 'DK'],
      [1, 'Đông Hà', 'DH'],
    ];
    const show = (xs: Rankable[]) => rankItems(xs).map(({ item: i, rank }) => [rank, i.name, i.code]);
    expect(show(units)).toEqual(expected);
    expect(show([...units].reverse())).toEqual(expected);
  });

  it('puts units without a score last, sharing the rank after the last scored unit', () => {
    expect(ranked([item('An Phú', null), item('Ba Vì', '70'), item('Ân Thi', null), item('Eakar', '80')])).toEqual([
      [1, 'Eakar'],
      [2, 'Ba Vì'],
      [3, 'An Phú'],
      [3, 'Ân Thi'],
    ]);
    expect(rankItems([])).toEqual([]);
  });

  it('returns the items themselves, extra fields included', () => {
    const rows = [{ ...item('Ba Vì', '70'), unitId: 7 }];
    expect(rankItems(rows)[0].item.unitId).toBe(7);
  });
});

describe('rankChange', () => {
  it('is the previous rank minus the rank now: positive when the unit moved up', () => {
    expect(rankChange(9, 6)).toBe(3);
    expect(rankChange(2, 5)).toBe(-3);
    expect(rankChange(4, 4)).toBe(0);
  });

  it('is null when the unit was not ranked the year before', () => {
    expect(rankChange(null, 1)).toBeNull();
    expect(rankChange(undefined, 1)).toBeNull();
  });
});

describe('classify', () => {
  const band = (score: string, bands: BandSpec[] = DEFAULT_BANDS) => classify(new ScoringDecimal(score), bands)?.code ?? null;

  it('gives the first band, highest first, whose minimum the rounded score reaches', () => {
    expect(band('100')).toBe('EXCELLENT');
    expect(band('90')).toBe('EXCELLENT');
    expect(band('89.995')).toBe('EXCELLENT'); // 90.00 once rounded
    expect(band('89.994')).toBe('GOOD');
    expect(band('89.99')).toBe('GOOD');
    expect(band('80')).toBe('GOOD');
    expect(band('79.99')).toBe('FAIR');
    expect(band('70')).toBe('FAIR');
    expect(band('50')).toBe('AVERAGE');
    expect(band('49.99')).toBe('WEAK');
    expect(band('0')).toBe('WEAK');
  });

  it('has the default bands of DOMAIN.md, frozen', () => {
    expect(DEFAULT_BANDS.map((b) => [b.code, b.label, String(b.minScore)])).toEqual([
      ['EXCELLENT', 'Xuất sắc', '90'],
      ['GOOD', 'Tốt', '80'],
      ['FAIR', 'Khá', '70'],
      ['AVERAGE', 'Trung bình', '50'],
      ['WEAK', 'Yếu', '0'],
    ]);
    expect(Object.isFrozen(DEFAULT_BANDS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_BANDS[0])).toBe(true);
  });

  it('works with custom bands given as strings, in any order, and may give none', () => {
    const namDinh: BandSpec[] = [
      { code: 'GROUP_III', label: 'Nhóm III', minScore: '65' },
      { code: 'GROUP_I', label: 'Nhóm I', minScore: '80' },
      { code: 'GROUP_II', label: 'Nhóm II', minScore: '72.5' },
    ];
    expect(band('85.63', namDinh)).toBe('GROUP_I');
    expect(band('79.995', namDinh)).toBe('GROUP_I');
    expect(band('72.5', namDinh)).toBe('GROUP_II');
    expect(band('64.99', namDinh)).toBeNull();
    expect(band('99', [])).toBeNull();
  });
});

describe('summarize', () => {
  const rows = (scores: string[]) =>
    scores.map((s, i) => {
      const score = new ScoringDecimal(s);
      return { key: `u${i + 1}`, score, bandCode: classify(score, DEFAULT_BANDS)?.code ?? null };
    });

  it('counts every band of the framework in its order, zeros included', () => {
    const out = summarize(rows(['92.62', '90.91', '86.19', '72.00', '40.10']), DEFAULT_BANDS);
    expect(out.count).toBe(5);
    expect(out.bands).toEqual([
      { code: 'EXCELLENT', count: 2 },
      { code: 'GOOD', count: 1 },
      { code: 'FAIR', count: 1 },
      { code: 'AVERAGE', count: 0 },
      { code: 'WEAK', count: 1 },
    ]);
    expect(out.highestKey).toBe('u1');
    expect(out.lowestKey).toBe('u5');
  });

  it('leaves items without a score (a domain that does not apply) out of the count, average, ends and bands', () => {
    // Ranked by a domain: 90.00, 70.01, then two units the domain does not apply to (listed last).
    const items = [...rows(['90.00', '70.01']), { key: 'na1', score: null, bandCode: 'WEAK' }, { key: 'na2', score: null, bandCode: 'GOOD' }];
    const out = summarize(items, DEFAULT_BANDS);
    expect(out.count).toBe(2);
    // (90.00 + 70.01) / 2 = 80.005 → 80.01 (counting the two as 0 would give 40.00)
    expect(out.average?.toFixed(2)).toBe('80.01');
    expect([out.highestKey, out.lowestKey]).toEqual(['u1', 'u2']);
    expect(out.bands.map((b) => b.count)).toEqual([1, 0, 1, 0, 0]);
    expect(summarize(items.slice(2), DEFAULT_BANDS)).toMatchObject({ count: 0, average: null, highestKey: null, lowestKey: null });
  });

  it('averages the rounded scores and rounds the average once, half up', () => {
    // (88.05 + 88.06) / 2 = 88.055 → 88.06
    expect(summarize(rows(['88.06', '88.05']), DEFAULT_BANDS).average?.toFixed(2)).toBe('88.06');
    // (80.00 + 80.00 + 80.01) / 3 = 80.00333… → 80.00, exactly, not via a 40-digit quotient
    expect(summarize(rows(['80.00', '80.00', '80.01']), DEFAULT_BANDS).average?.toFixed(2)).toBe('80.00');
    // 70.004 ×2 and 70.005 ×2: rounded 70.00, 70.00, 70.01, 70.01 → 70.005 → 70.01;
    // the exact scores would average 70.0045 → 70.00
    expect(summarize(rows(['70.005', '70.005', '70.004', '70.004']), DEFAULT_BANDS).average?.toFixed(2)).toBe('70.01');
  });

  it('is empty for an empty ranking', () => {
    expect(summarize([], DEFAULT_BANDS)).toEqual({
      count: 0,
      average: null,
      highestKey: null,
      lowestKey: null,
      bands: DEFAULT_BANDS.map((b) => ({ code: b.code, count: 0 })),
    });
  });

  it('ignores a band code the framework does not have', () => {
    const out = summarize([{ key: 'a', score: new ScoringDecimal(50), bandCode: 'OTHER' }], DEFAULT_BANDS);
    expect(out.bands.reduce((n, b) => n + b.count, 0)).toBe(0);
  });
});

describe('listingOrder', () => {
  test('ranking with precomputed listing places gives exactly the order and ranks of the collator path', () => {
    // Same rounded scores for three units: ties listed Ân Thi, Ba Vì, Đông Hà (Vietnamese order), then by score.
    const items = [
      { key: '1', name: 'Đông Hà', code: 'DH', score: new Decimal('90.004') },
      { key: '2', name: 'Ba Vì', code: 'BV', score: new Decimal('89.995') },
      { key: '3', name: 'Ân Thi', code: 'AT', score: new Decimal('90') },
      { key: '4', name: 'An Phú', code: 'AP', score: new Decimal('95.5') },
      { key: '5', name: 'Eakar', code: 'EK', score: null },
    ];
    const listing = listingOrder(items);
    expect([...listing.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k)).toEqual(['4', '3', '2', '1', '5']);
    const plain = rankItems(items).map(({ item, rank }) => [item.key, rank]);
    const listed = rankItems(items.map((i) => ({ ...i, listing: listing.get(i.key)! }))).map(({ item, rank }) => [item.key, rank]);
    expect(listed).toEqual(plain);
    expect(plain).toEqual([['4', 1], ['3', 2], ['2', 2], ['1', 2], ['5', 5]]);
  });
});
