import {
  computeUnitResult,
  type LeafOutcome,
  leafInputs,
  type PanelScore,
  type UnitInput,
  type UnitOutcome,
} from '../../src/scoring';
import { computeUnitResultExact } from '../../src/scoring/exact-method';
import { framework } from '../support/small-framework';

/*
 * What each leaf of an outcome rests on, kept by the method's phases for
 * whoever explains a score: the panel scores of the leaf with their points
 * as read and which of them were combined, or the survey counts. The same
 * whichever kernel computed the unit.
 */

const score = (leafId: string, round: PanelScore['round'], panelist: string, points: string | number | null, notApplicable = false): PanelScore => ({
  leafId, round, panelist, points, notApplicable,
});

const input: UnitInput = {
  panelScores: [
    // E1: self-assessed 10, appraised by three (7, 8, 8.5: mean 7.83…), one of them marking nothing yet.
    score('E1', 'SELF_ASSESSMENT', 'UNIT', '10'),
    score('E1', 'APPRAISAL', 'P1', '7'),
    score('E1', 'APPRAISAL', 'P2', 8),
    score('E1', 'APPRAISAL', 'P3', ' 8.50 '),
    score('E1', 'APPRAISAL', 'P4', null),
    // E2: not applicable by the appraisal (the self-assessment's 12 is not used).
    score('E2', 'SELF_ASSESSMENT', 'UNIT', '12'),
    score('E2', 'APPRAISAL', 'P1', null, true),
    // E3: no score at all: MISSING.
  ],
  adjustments: [],
  surveyTallies: [{ leafId: 'S1', responses: 40, answers: 51, satisfied: 45 }],
};

const leafOf = (o: UnitOutcome, id: string): LeafOutcome => o.leaves.find((l) => l.leafId === id)!;

describe.each([
  ['computeUnitResult (CENTS kernel)', () => computeUnitResult(framework(), input)],
  ['computeUnitResultExact (RATIONAL kernel)', () => computeUnitResultExact(framework(), input)],
])('leafInputs of %s', (_label, compute) => {
  it('gives every panel score of a leaf, its points as read, and which were combined into its earned points', () => {
    const e1 = leafOf(compute(), 'E1');
    expect(e1).toMatchObject({ status: 'SCORED', round: 'APPRAISAL', applicable: true });
    expect(e1.earned.toFixed(4)).toBe('7.8333');
    const panel = leafInputs(e1)!.panel.map((p) => ({ ...p, points: p.points?.toString() ?? null }));
    expect(panel).toEqual([
      { panelist: 'UNIT', round: 'SELF_ASSESSMENT', points: '10', notApplicable: false, counted: false },
      { panelist: 'P1', round: 'APPRAISAL', points: '7', notApplicable: false, counted: true },
      { panelist: 'P2', round: 'APPRAISAL', points: '8', notApplicable: false, counted: true },
      { panelist: 'P3', round: 'APPRAISAL', points: '8.5', notApplicable: false, counted: true },
      { panelist: 'P4', round: 'APPRAISAL', points: null, notApplicable: false, counted: false },
    ]);
    expect(leafInputs(e1)!.survey).toBeNull();
  });

  it('counts nothing for a leaf not applicable or missing', () => {
    const out = compute();
    const e2 = leafOf(out, 'E2');
    expect(e2).toMatchObject({ status: 'NOT_APPLICABLE', round: 'APPRAISAL', applicable: false });
    expect(leafInputs(e2)!.panel.map((p) => [p.panelist, p.notApplicable, p.counted])).toEqual([
      ['UNIT', false, false],
      ['P1', true, false],
    ]);
    const e3 = leafOf(out, 'E3');
    expect(e3).toMatchObject({ status: 'MISSING', round: null, applicable: true });
    expect(leafInputs(e3)).toEqual({ panel: [], survey: null });
  });

  it('gives a survey leaf\'s counts and the framework\'s minResponses', () => {
    const s1 = leafOf(compute(), 'S1');
    expect(s1.earned.toFixed(6)).toBe('8.823529'); // 10 × 45 / 51
    expect(leafInputs(s1)).toEqual({ panel: [], survey: { responses: 40, answers: 51, satisfied: 45, minResponses: 30 } });
  });

  it('makes the leaves once, when first read, as own properties of the outcome', () => {
    const out = compute();
    expect(out.leaves).toBe(out.leaves);
    expect(Object.keys(out)).toContain('leaves');
    expect({ ...out }.leaves).toBe(out.leaves);
    expect(JSON.parse(JSON.stringify(out)).leaves).toHaveLength(4);
    const replaced: LeafOutcome[] = [];
    out.leaves = replaced;
    expect(out.leaves).toBe(replaced);
  });
});

it('is null for a leaf the method did not make', () => {
  const out = computeUnitResult(framework(), input);
  expect(leafInputs({ ...leafOf(out, 'E1') })).not.toBeNull(); // a copy keeps what it rests on
  expect(leafInputs(JSON.parse(JSON.stringify(leafOf(out, 'E1'))))).toBeNull();
});
