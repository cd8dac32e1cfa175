import Decimal from 'decimal.js';
import fc from 'fast-check';

import {
  computeUnitResult,
  type DecimalInput,
  type FrameworkSpec,
  type PanelScore,
  prepareFramework,
  ScoringInputError,
  type UnitInput,
  type UnitOutcome,
} from '../../src/scoring';
import { computeUnitResultExact } from '../../src/scoring/exact-method';
import { framework } from '../support/small-framework';

/*
 * The fast form of the method (index-method.ts) against the straightforward
 * one (exact-method.ts): same figures, same refusals, same messages.
 */

const e1 = (points: DecimalInput | null, panelist = 'P1'): PanelScore => ({
  leafId: 'E1',
  round: 'APPRAISAL',
  panelist,
  points,
  notApplicable: false,
});

function unit(e1Scores: PanelScore[], extra: Partial<UnitInput> = {}): UnitInput {
  return {
    panelScores: [
      ...e1Scores,
      { leafId: 'E2', round: 'APPRAISAL', panelist: 'P1', points: '16', notApplicable: false },
      { leafId: 'E3', round: 'APPRAISAL', panelist: 'P1', points: '8', notApplicable: false },
    ],
    adjustments: extra.adjustments ?? [],
    surveyTallies: extra.surveyTallies ?? [{ leafId: 'S1', responses: 40, answers: 51, satisfied: 45 }],
  };
}

const show = (d: Decimal | null) => (d === null ? null : { text: d.toString(), s: d.s, e: d.e, d: [...d.d] });

/** Every field of an outcome, Decimals with their digits, as plain data. */
function plain(o: UnitOutcome) {
  return {
    earned: show(o.earned),
    max: show(o.max),
    score: show(o.score),
    expertScore: show(o.expertScore),
    surveyScore: show(o.surveyScore),
    bonus: show(o.bonus),
    penalty: show(o.penalty),
    band: o.band,
    provisional: o.provisional,
    surveyInsufficient: o.surveyInsufficient,
    domains: o.domains.map((d) => ({ ...d, earned: show(d.earned), max: show(d.max), score: show(d.score) })),
    leaves: o.leaves.map((l) => ({ ...l, earned: show(l.earned), max: show(l.max) })),
  };
}

/** The result of the fast method and of the exact one, or the error each throws. */
function both(spec: FrameworkSpec, input: UnitInput) {
  const run = (f: () => UnitOutcome) => {
    try {
      return plain(f());
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  };
  return { fast: run(() => computeUnitResult(spec, input)), exact: run(() => computeUnitResultExact(spec, input)) };
}

describe('computeUnitResult reads points fast, accepting and refusing exactly as before', () => {
  const accepted: [DecimalInput, string][] = [
    ['7', '7'],
    ['7.5', '7.5'],
    ['7.50', '7.5'],
    ['7.500', '7.5'],
    ['07.25', '7.25'],
    ['0', '0'],
    ['-0', '0'],
    ['0.00', '0'],
    ['10', '10'],
    ['10.00', '10'],
    [' 3', '3'],
    ['3 ', '3'],
    ['3.', '3'],
    ['.5', '0.5'],
    ['1e0', '1'],
    ['5e-1', '0.5'],
    ['+4', '4'],
    [7, '7'],
    [7.25, '7.25'],
    [-0, '0'],
    [new Decimal('6.75'), '6.75'],
  ];
  it.each(accepted)('accepts %p as %s points, as before', (points, expected) => {
    const { fast, exact } = both(framework(), unit([e1(points)]));
    expect(fast).toEqual(exact);
    expect('leaves' in fast && fast.leaves[0].earned?.text).toBe(expected);
  });

  const refused: DecimalInput[] = [
    '1e2',
    '10.01',
    '7.505',
    '-1',
    '-0.01',
    'abc',
    '',
    ' ',
    '1,5',
    '7..5',
    'Infinity',
    'NaN',
    '99999999999999',
    '12345678901234567890',
    10.5,
    0.1 + 0.2,
    Number.NaN,
    Infinity,
    -3,
  ];
  it.each(refused)('refuses %p with the same message as before', (points) => {
    const { fast, exact } = both(framework(), unit([e1(points)]));
    expect(fast).toEqual(exact);
    expect(fast).toMatchObject({ error: 'ScoringInputError' });
  });

  it('reads a maximum with decimals in cents: points up to it pass, a cent more is refused', () => {
    const spec = framework({
      leaves: [{ id: 'E1', code: 'LV3.1', domainCode: 'TTHC', maxPoints: '2.50', source: 'EXPERT' }],
    });
    const ok = both(spec, { panelScores: [e1('2.5')], adjustments: [], surveyTallies: [] });
    expect(ok.fast).toEqual(ok.exact);
    const over = both(spec, { panelScores: [e1('2.51')], adjustments: [], surveyTallies: [] });
    expect(over.fast).toEqual(over.exact);
    expect(over.fast).toMatchObject({ message: 'points 2.51 exceed the maximum 2.5 of criterion LV3.1' });
  });
});

describe('computeUnitResult gives the figures and refusals of the exact method', () => {
  const cases: [string, FrameworkSpec, UnitInput][] = [
    ['a mean of three panelists', framework(), unit([e1('7'), e1('8', 'P2'), e1('8.5', 'P3')])],
    ['a median of four', framework({ aggregation: 'MEDIAN' }), unit([e1('7'), e1('8', 'P2'), e1('6.75', 'P3'), e1('9', 'P4')])],
    ['a missing leaf', framework(), unit([])],
    ['a self-assessment', framework(), unit([{ ...e1('9'), round: 'SELF_ASSESSMENT' }])],
    ['a leaf not applicable', framework(), unit([{ ...e1(null), notApplicable: true }])],
    ['too few survey responses', framework(), unit([e1('7')], { surveyTallies: [{ leafId: 'S1', responses: 29, answers: 90, satisfied: 80 }] })],
    ['no survey tally', framework(), unit([e1('7')], { surveyTallies: [] })],
    [
      'bonus and penalty over the caps, earned below zero',
      framework({ maxBonus: '1.5', maxPenalty: '60' }),
      unit([e1('0')], {
        adjustments: [
          { round: 'APPRAISAL', panelist: 'P1', bonus: '2', penalty: '40' },
          { round: 'APPRAISAL', panelist: 'P2', bonus: '1', penalty: '45.35' },
        ],
      }),
    ],
    ['a survey tally with huge counts', framework(), unit([e1('7')], { surveyTallies: [{ leafId: 'S1', responses: 2 ** 52, answers: 2 ** 53 - 1, satisfied: 2 ** 52 + 7 }] })],
    [
      'a maximum of more than two decimals (exact method)',
      framework({ leaves: [{ id: 'E1', code: 'LV3.1', domainCode: 'TTHC', maxPoints: '10.005', source: 'EXPERT' }] }),
      { panelScores: [e1('3.33')], adjustments: [], surveyTallies: [] },
    ],
    ['bands from 60 only', framework({ bands: [{ code: 'A', label: 'A', minScore: '60.004' }] }), unit([e1('0')])],
    ['bands unordered', framework({ bands: [{ code: 'B', label: 'B', minScore: 50 }, { code: 'A', label: 'A', minScore: '80.5' }] }), unit([e1('9.5')])],
    ['a band that is not a number', framework({ bands: [{ code: 'A', label: 'A', minScore: 'x' }] }), unit([e1('9.5')])],
    ['an unknown criterion', framework(), unit([{ ...e1('1'), leafId: 'E9' }])],
    ['a panel score for a survey leaf', framework(), unit([{ ...e1('1'), leafId: 'S1' }])],
    ['a tally for an expert leaf', framework(), unit([e1('1')], { surveyTallies: [{ leafId: 'E1', responses: 40, answers: 40, satisfied: 1 }] })],
    ['two tallies', framework(), unit([e1('1')], { surveyTallies: [{ leafId: 'S1', responses: 40, answers: 40, satisfied: 1 }, { leafId: 'S1', responses: 40, answers: 40, satisfied: 1 }] })],
    ['satisfied above answers', framework(), unit([e1('1')], { surveyTallies: [{ leafId: 'S1', responses: 40, answers: 40, satisfied: 41 }] })],
    ['a count that is not whole', framework(), unit([e1('1')], { surveyTallies: [{ leafId: 'S1', responses: 40.5, answers: 40, satisfied: 1 }] })],
    ['an unknown round', framework(), unit([{ ...e1('1'), round: 'FINAL' as never }])],
    ['a panelist twice in a round', framework(), unit([e1('1'), e1('2')])],
    ['a bad score before a duplicate', framework(), unit([e1('11', 'P2'), e1('1'), e1('2')])],
    ['a negative bonus', framework({ maxBonus: '2' }), unit([e1('1')], { adjustments: [{ round: 'APPRAISAL', panelist: 'P1', bonus: '-1', penalty: null }] })],
  ];
  it.each(cases)('%s', (_label, spec, input) => {
    const { fast, exact } = both(spec, input);
    expect(fast).toEqual(exact);
  });

  it('refuses a bad framework with the message of the exact method', () => {
    // Both methods share checkFramework: what can differ is whether the fast one reaches it before its own reads.
    const spec = framework({ aggregation: 'MODE' as never });
    const refusal = { error: 'ScoringInputError', message: 'aggregation MODE is not MEAN or MEDIAN' };
    expect(both(spec, unit([e1('1')]))).toEqual({ fast: refusal, exact: refusal });
    expect(() => prepareFramework(spec)).toThrow(new ScoringInputError('aggregation MODE is not MEAN or MEDIAN'));
  });

  /*
   * Random frameworks (maxima of up to three decimals, so that some take the
   * exact fallback; bands in any order), random panels (means and medians of
   * points with up to two decimals, leaves not applicable, earlier rounds),
   * survey tallies around minResponses, bonus and penalty: the fast method's
   * own arithmetic (cents, band thresholds, the fallback) must give the exact
   * method's outcome, field by field and digit by digit.
   */
  it('gives the exact method\'s outcome on random frameworks and panels', () => {
    const cents = (max: number) => fc.integer({ min: 0, max }).map((c) => (c / 100).toFixed(2).replace(/\.?0+$/, '') || '0');
    const arbitrary = fc.record({
      maxima: fc.array(fc.oneof(fc.constantFrom(5, 10, 20), fc.integer({ min: 0, max: 3000 }).map((c) => c / 100), fc.integer({ min: 1, max: 30000 }).map((m) => m / 1000)), { minLength: 1, maxLength: 6 }),
      surveyLeaf: fc.boolean(),
      aggregation: fc.constantFrom('MEAN' as const, 'MEDIAN' as const),
      minResponses: fc.integer({ min: 0, max: 40 }),
      bands: fc.array(fc.oneof(fc.constantFrom(0, 5000, 8000, 9000, 10000), fc.integer({ min: 0, max: 10000 })), { minLength: 0, maxLength: 4 }),
      panels: fc.array(fc.array(fc.record({
        round: fc.constantFrom('SELF_ASSESSMENT' as const, 'APPRAISAL' as const, 'REAPPRAISAL' as const),
        // Round shares often, so that indices land on band thresholds.
        share: fc.oneof(fc.constantFrom(0, 50, 80, 90, 100), fc.integer({ min: 0, max: 100 })),
        notApplicable: fc.boolean(),
      }), { maxLength: 4 }), { minLength: 6, maxLength: 6 }),
      tally: fc.record({ responses: fc.integer({ min: 0, max: 60 }), answers: fc.integer({ min: 0, max: 200 }), satisfied: fc.integer({ min: 0, max: 200 }) }),
      bonus: fc.option(cents(300)), penalty: fc.option(cents(300)),
    });
    fc.assert(fc.property(arbitrary, (r) => {
      const leaves = r.maxima.map((max, i) => ({ id: `L${i}`, code: `C${i}`, domainCode: i % 2 ? 'B' : 'A', maxPoints: String(max), source: 'EXPERT' as const }));
      if (r.surveyLeaf) leaves.push({ id: 'S', code: 'CS', domainCode: 'B', maxPoints: '10', source: 'SURVEY' as never });
      const spec = framework({
        domains: [{ code: 'A', name: 'A' }, { code: 'B', name: 'B' }], leaves, aggregation: r.aggregation, minResponses: r.minResponses,
        maxBonus: '2', maxPenalty: '2.5',
        bands: r.bands.map((b, i) => ({ code: `B${i}`, label: `B${i}`, minScore: (b / 100).toFixed(2) })),
      });
      const panelScores: PanelScore[] = [];
      leaves.filter((l) => l.source === 'EXPERT').forEach((leaf, i) => r.panels[i].forEach((p, k) => {
        // A share of the maximum, truncated to two decimals: always within [0, max].
        const points = (Math.floor(Number(leaf.maxPoints) * p.share) / 100).toFixed(2);
        panelScores.push({ leafId: leaf.id, round: p.round, panelist: `P${k}`, points: p.notApplicable ? null : points, notApplicable: p.notApplicable });
      }));
      const satisfied = Math.min(r.tally.satisfied, r.tally.answers);
      const input: UnitInput = {
        panelScores,
        surveyTallies: r.surveyLeaf ? [{ leafId: 'S', ...r.tally, satisfied }] : [],
        adjustments: r.bonus === null && r.penalty === null ? [] : [{ round: 'APPRAISAL', panelist: 'P0', bonus: r.bonus, penalty: r.penalty }],
      };
      const { fast, exact } = both(spec, input);
      expect(fast).toEqual(exact);
    }), { seed: 20261130, numRuns: 400 });
  });
});

describe('prepareFramework', () => {
  it('prepares once and computes what the FrameworkSpec computes', () => {
    const spec = framework();
    const prepared = prepareFramework(spec);
    expect(prepared.spec).toBe(spec);
    const input = unit([e1('7.25'), e1('8', 'P2')]);
    expect(plain(computeUnitResult(prepared, input))).toEqual(plain(computeUnitResult(spec, input)));
    expect(plain(computeUnitResult(prepared, input))).toEqual(plain(computeUnitResultExact(spec, input)));
  });

  it('throws what computeUnitResult throws for a bad framework', () => {
    const twice = framework({ domains: [{ code: 'CV', name: 'a' }, { code: 'CV', name: 'b' }] });
    expect(() => prepareFramework(twice)).toThrow('domain CV appears twice');
    const negative = framework({ maxBonus: '-1' });
    expect(() => prepareFramework(negative)).toThrow('bonus cap -1 is negative');
    expect(() => computeUnitResult(negative, unit([]))).toThrow('bonus cap -1 is negative');
  });

  it('notices a replaced part of a FrameworkSpec passed again', () => {
    const spec = framework();
    const input = unit([e1('7')], { surveyTallies: [{ leafId: 'S1', responses: 20, answers: 40, satisfied: 30 }] });
    expect(computeUnitResult(spec, input).surveyInsufficient).toBe(true);
    spec.minResponses = 10;
    expect(computeUnitResult(spec, input).surveyInsufficient).toBe(false);
    spec.aggregation = 'MEDIAN';
    spec.leaves = spec.leaves.filter((l) => l.id !== 'E3');
    const after = unit([e1('7')]);
    after.panelScores = after.panelScores.filter((s) => s.leafId !== 'E3');
    expect(plain(computeUnitResult(spec, after))).toEqual(plain(computeUnitResultExact(spec, after)));
  });
});

describe('the outcome of the fast method', () => {
  it('shows leaf points that are not whole cents on reading, as plain own properties', () => {
    const out = computeUnitResult(framework(), unit([e1('7'), e1('8', 'P2'), e1('8', 'P3')]));
    const leaf = out.leaves[0];
    expect(Object.keys(leaf)).toEqual(['leafId', 'code', 'source', 'status', 'applicable', 'earned', 'max', 'round']);
    expect(leaf.earned.toFixed(6)).toBe('7.666667');
    expect({ ...leaf }.earned.toString()).toBe(leaf.earned.toString());
    expect(JSON.parse(JSON.stringify(leaf)).earned).toBe('7.666666666666666666666666666666666666667');
    leaf.earned = new Decimal(1);
    expect(leaf.earned.toString()).toBe('1');
  });
});
