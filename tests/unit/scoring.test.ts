import Decimal from 'decimal.js';

import { computeUnitResultExact } from '../../src/scoring/exact-method';
import { framework } from '../support/small-framework';
import {
  type Adjustment,
  type BandSpec,
  computeUnitResult,
  describeInvalidAdjustment,
  describeInvalidPoints,
  type PanelScore,
  type Round,
  ScoringInputError,
  type SurveyTally,
  type UnitInput,
} from '../../src/scoring';

// The 50-point framework of the rules: tests/support/small-framework.ts.

const score = (leafId: string, round: Round, panelist: string, points: string | null): PanelScore => ({
  leafId,
  round,
  panelist,
  points,
  notApplicable: false,
});
const notApplicable = (leafId: string, round: Round, panelist: string): PanelScore => ({
  leafId,
  round,
  panelist,
  points: null,
  notApplicable: true,
});
const tally = (leafId: string, responses: number, answers: number, satisfied: number): SurveyTally => ({
  leafId,
  responses,
  answers,
  satisfied,
});
const adjustment = (round: Round, panelist: string, bonus: string | null, penalty: string | null): Adjustment => ({
  round,
  panelist,
  bonus,
  penalty,
});

/** E2 = 16, E3 = 8 appraised by one panelist; S1 = 10 × 45/50 = 9. The tests vary E1. */
const rest = (): { panelScores: PanelScore[]; surveyTallies: SurveyTally[] } => ({
  panelScores: [score('E2', 'APPRAISAL', 'P1', '16'), score('E3', 'APPRAISAL', 'P1', '8')],
  surveyTallies: [tally('S1', 40, 50, 45)],
});

function unit(e1: PanelScore[], extra: Partial<UnitInput> = {}): UnitInput {
  const base = rest();
  return {
    panelScores: [...e1, ...base.panelScores, ...(extra.panelScores ?? [])],
    adjustments: extra.adjustments ?? [],
    surveyTallies: extra.surveyTallies ?? base.surveyTallies,
  };
}

const leaf = (out: ReturnType<typeof computeUnitResult>, id: string) => {
  const found = out.leaves.find((l) => l.leafId === id);
  if (!found) throw new Error(`no leaf ${id}`);
  return found;
};

describe('computeUnitResult: expert panel rounds', () => {
  it('uses, per leaf, the latest round that has a score: reappraisal, else appraisal, else self-assessment', () => {
    const out = computeUnitResult(framework(), {
      panelScores: [
        // E1: self 10, appraisal 8, reappraisal 9 → 9
        score('E1', 'SELF_ASSESSMENT', 'UNIT', '10'),
        score('E1', 'APPRAISAL', 'P1', '8'),
        score('E1', 'REAPPRAISAL', 'P1', '9'),
        // E2: self 20, appraisal 15 → 15
        score('E2', 'SELF_ASSESSMENT', 'UNIT', '20'),
        score('E2', 'APPRAISAL', 'P1', '15'),
        // E3: only the unit's own 7 → 7, and the result is provisional
        score('E3', 'SELF_ASSESSMENT', 'UNIT', '7'),
      ],
      adjustments: [],
      // S1: 10 × 45/50 = 9
      surveyTallies: [tally('S1', 40, 50, 45)],
    });
    // earned = 9 + 15 + 7 + 9 = 40; max 50; index 100 × 40/50 = 80.00
    expect(out.earned.toString()).toBe('40');
    expect(out.max.toString()).toBe('50');
    expect(out.score!.toFixed(2)).toBe('80.00');
    expect(leaf(out, 'E1')).toMatchObject({ round: 'REAPPRAISAL', status: 'SCORED', applicable: true });
    expect(leaf(out, 'E1').earned.toString()).toBe('9');
    expect(leaf(out, 'E2').round).toBe('APPRAISAL');
    expect(leaf(out, 'E2').earned.toString()).toBe('15');
    expect(leaf(out, 'E3').round).toBe('SELF_ASSESSMENT');
    expect(leaf(out, 'S1').round).toBeNull();
    expect(out.provisional).toBe(true);
    expect(out.band?.code).toBe('GOOD');
  });

  it('is not provisional once the panel has scored every EXPERT leaf', () => {
    const out = computeUnitResult(
      framework(),
      unit([score('E1', 'SELF_ASSESSMENT', 'UNIT', '10'), score('E1', 'APPRAISAL', 'P1', '8')]),
    );
    // 8 + 16 + 8 + 9 = 41 → 82.00
    expect(out.score!.toFixed(2)).toBe('82.00');
    expect(out.provisional).toBe(false);
    expect(out.surveyInsufficient).toBe(false);
  });

  it('ignores an entry that neither gives points nor marks the leaf not applicable', () => {
    const out = computeUnitResult(
      framework(),
      unit([score('E1', 'APPRAISAL', 'P1', '8'), score('E1', 'REAPPRAISAL', 'P1', null)]),
    );
    expect(leaf(out, 'E1').round).toBe('APPRAISAL');
    expect(out.score!.toFixed(2)).toBe('82.00');
  });

  it('gives a missing EXPERT leaf 0 points, keeps it in the maximum and marks the result provisional', () => {
    const out = computeUnitResult(framework(), {
      panelScores: [score('E1', 'APPRAISAL', 'P1', '8'), score('E2', 'APPRAISAL', 'P1', '16')],
      adjustments: [],
      surveyTallies: [tally('S1', 40, 50, 45)],
    });
    // earned = 8 + 16 + 0 + 9 = 33; max still 50 → 66.00
    expect(out.max.toString()).toBe('50');
    expect(out.score!.toFixed(2)).toBe('66.00');
    expect(leaf(out, 'E3')).toMatchObject({ status: 'MISSING', applicable: true, round: null });
    expect(leaf(out, 'E3').max.toString()).toBe('10');
    expect(out.provisional).toBe(true);
    // domain CV: 16 / 30 = 53.333… → 53.33
    expect(out.domains[1].score?.toFixed(2)).toBe('53.33');
  });
});

describe('computeUnitResult: combining panelists', () => {
  it('takes the exact MEAN of the panelists of the round', () => {
    const out = computeUnitResult(
      framework(),
      unit([score('E1', 'APPRAISAL', 'P1', '7'), score('E1', 'APPRAISAL', 'P2', '8'), score('E1', 'APPRAISAL', 'P3', '8.5')]),
    );
    // E1 = (7 + 8 + 8.5) / 3 = 23.5 / 3 = 7.8333…
    // earned = 7.8333… + 16 + 8 + 9 = 40.8333…; index = 2 × 40.8333… = 81.6666… → 81.67
    expect(leaf(out, 'E1').earned.toFixed(6)).toBe('7.833333');
    expect(out.score!.toFixed(2)).toBe('81.67');
    // domain TTHC: (7.8333… + 9) / 20 = 84.1666… → 84.17; expert part: 31.8333… / 40 = 79.5833… → 79.58
    expect(out.domains[0].score?.toFixed(2)).toBe('84.17');
    expect(out.expertScore?.toFixed(2)).toBe('79.58');
  });

  it('takes the MEDIAN of an odd number of panelists: the middle value', () => {
    const out = computeUnitResult(
      framework({ aggregation: 'MEDIAN' }),
      unit([score('E1', 'APPRAISAL', 'P1', '6'), score('E1', 'APPRAISAL', 'P2', '9.5'), score('E1', 'APPRAISAL', 'P3', '7')]),
    );
    // sorted 6, 7, 9.5 → 7; earned = 7 + 33 = 40 → 80.00 (the mean would give 7.5 → 81.00)
    expect(leaf(out, 'E1').earned.toString()).toBe('7');
    expect(out.score!.toFixed(2)).toBe('80.00');
  });

  it('takes the MEDIAN of an even number of panelists as the mean of the two middle values', () => {
    const four = computeUnitResult(
      framework({ aggregation: 'MEDIAN' }),
      unit([
        score('E1', 'APPRAISAL', 'P1', '9.5'),
        score('E1', 'APPRAISAL', 'P2', '6'),
        score('E1', 'APPRAISAL', 'P3', '8'),
        score('E1', 'APPRAISAL', 'P4', '7'),
      ]),
    );
    // sorted 6, 7, 8, 9.5 → (7 + 8) / 2 = 7.5; earned 40.5 → 81.00
    expect(leaf(four, 'E1').earned.toString()).toBe('7.5');
    expect(four.score!.toFixed(2)).toBe('81.00');

    const two = computeUnitResult(
      framework({ aggregation: 'MEDIAN' }),
      unit([score('E1', 'APPRAISAL', 'P1', '7.25'), score('E1', 'APPRAISAL', 'P2', '7.5')]),
    );
    // (7.25 + 7.5) / 2 = 7.375 exactly; earned 40.375 → 80.75
    expect(leaf(two, 'E1').earned.toString()).toBe('7.375');
    expect(two.score!.toFixed(2)).toBe('80.75');
  });

  it('combines only the panelists who scored when some marked the leaf not applicable', () => {
    const out = computeUnitResult(
      framework(),
      unit([notApplicable('E1', 'APPRAISAL', 'P1'), score('E1', 'APPRAISAL', 'P2', '8'), score('E1', 'APPRAISAL', 'P3', '9')]),
    );
    // (8 + 9) / 2 = 8.5, not (0 + 8 + 9) / 3; earned 41.5 → 83.00
    expect(leaf(out, 'E1')).toMatchObject({ applicable: true, status: 'SCORED' });
    expect(leaf(out, 'E1').earned.toString()).toBe('8.5');
    expect(leaf(out, 'E1').max.toString()).toBe('10');
    expect(out.score!.toFixed(2)).toBe('83.00');
  });

  it('drops the leaf from earned and maximum when every panelist of the round marked it not applicable', () => {
    const out = computeUnitResult(
      framework(),
      unit([notApplicable('E1', 'APPRAISAL', 'P1'), notApplicable('E1', 'APPRAISAL', 'P2')]),
    );
    // earned = 16 + 8 + 9 = 33; max = 50 − 10 = 40; index 82.50 (still on a 100 scale)
    expect(out.earned.toString()).toBe('33');
    expect(out.max.toString()).toBe('40');
    expect(out.score!.toFixed(2)).toBe('82.50');
    expect(leaf(out, 'E1')).toMatchObject({ applicable: false, status: 'NOT_APPLICABLE', round: 'APPRAISAL' });
    expect(leaf(out, 'E1').max.toString()).toBe('0');
    // domain TTHC keeps only S1: 9 / 10 = 90.00; expert part 24 / 30 = 80.00
    expect(out.domains[0].max.toString()).toBe('10');
    expect(out.domains[0].score?.toFixed(2)).toBe('90.00');
    expect(out.expertScore?.toFixed(2)).toBe('80.00');
    expect(out.provisional).toBe(false);
  });

  it('lets a later round overturn "not applicable", and the other way round', () => {
    const scoredLater = computeUnitResult(
      framework(),
      unit([
        notApplicable('E1', 'APPRAISAL', 'P1'),
        notApplicable('E1', 'APPRAISAL', 'P2'),
        score('E1', 'REAPPRAISAL', 'P1', '6'),
      ]),
    );
    // E1 = 6 from the reappraisal; earned 39, max 50 → 78.00
    expect(scoredLater.score!.toFixed(2)).toBe('78.00');

    const droppedLater = computeUnitResult(
      framework(),
      unit([score('E1', 'APPRAISAL', 'P1', '8'), notApplicable('E1', 'REAPPRAISAL', 'P1')]),
    );
    // E1 not applicable after the reappraisal: 33 / 40 → 82.50
    expect(droppedLater.score!.toFixed(2)).toBe('82.50');
  });

  it('marks a result provisional when "not applicable" itself comes from the self-assessment', () => {
    const out = computeUnitResult(framework(), unit([notApplicable('E1', 'SELF_ASSESSMENT', 'UNIT')]));
    expect(leaf(out, 'E1').applicable).toBe(false);
    expect(out.provisional).toBe(true);
  });
});

describe('computeUnitResult: survey leaves', () => {
  it('earns maximum × satisfied / answers, exactly', () => {
    const out = computeUnitResult(framework(), {
      panelScores: [
        score('E1', 'APPRAISAL', 'P1', '8'),
        score('E2', 'APPRAISAL', 'P1', '16'),
        score('E3', 'APPRAISAL', 'P1', '8'),
      ],
      adjustments: [],
      surveyTallies: [tally('S1', 35, 70, 61)],
    });
    // S1 = 10 × 61/70 = 8.7142857…; earned = 32 + 8.7142857… = 40.7142857…
    // index = 2 × 40.7142857… = 81.428571… → 81.43
    // survey part 87.142857… → 87.14; expert part 32/40 → 80.00
    expect(leaf(out, 'S1').earned.toFixed(7)).toBe('8.7142857');
    expect(out.score!.toFixed(2)).toBe('81.43');
    expect(out.surveyScore?.toFixed(2)).toBe('87.14');
    expect(out.expertScore?.toFixed(2)).toBe('80.00');
    expect(out.surveyInsufficient).toBe(false);
  });

  it('drops a survey leaf with fewer than minResponses responses and flags the result, without imputation', () => {
    const expert = [
      score('E1', 'APPRAISAL', 'P1', '8'),
      score('E2', 'APPRAISAL', 'P1', '16'),
      score('E3', 'APPRAISAL', 'P1', '8'),
    ];
    const out = computeUnitResult(framework(), {
      panelScores: expert,
      adjustments: [],
      surveyTallies: [tally('S1', 29, 58, 58)],
    });
    // 29 < 30: S1 leaves earned and max; 32 / 40 → 80.00 (a perfect 100 % rate is not used)
    expect(out.max.toString()).toBe('40');
    expect(out.score!.toFixed(2)).toBe('80.00');
    expect(out.surveyInsufficient).toBe(true);
    expect(out.surveyScore).toBeNull();
    expect(leaf(out, 'S1')).toMatchObject({ applicable: false, status: 'SURVEY_INSUFFICIENT' });
    // domain TTHC is E1 alone: 8/10 → 80.00
    expect(out.domains[0].score?.toFixed(2)).toBe('80.00');
    expect(out.provisional).toBe(false);

    // exactly minResponses responses count: 10 × 30/30 = 10; 42 / 50 → 84.00
    const enough = computeUnitResult(framework(), {
      panelScores: expert,
      adjustments: [],
      surveyTallies: [tally('S1', 30, 30, 30)],
    });
    expect(enough.score!.toFixed(2)).toBe('84.00');
    expect(enough.surveyInsufficient).toBe(false);

    // no tally at all: no responses
    const none = computeUnitResult(framework(), { panelScores: expert, adjustments: [], surveyTallies: [] });
    expect(none.surveyInsufficient).toBe(true);
    expect(none.score!.toFixed(2)).toBe('80.00');
  });

  it('follows the framework minResponses and never divides by zero answers', () => {
    const expert = [
      score('E1', 'APPRAISAL', 'P1', '8'),
      score('E2', 'APPRAISAL', 'P1', '16'),
      score('E3', 'APPRAISAL', 'P1', '8'),
    ];
    const five = computeUnitResult(framework({ minResponses: 5 }), {
      panelScores: expert,
      adjustments: [],
      surveyTallies: [tally('S1', 5, 10, 7)],
    });
    // 10 × 7/10 = 7; 39 / 50 → 78.00
    expect(five.score!.toFixed(2)).toBe('78.00');

    const zero = computeUnitResult(framework({ minResponses: 0 }), {
      panelScores: expert,
      adjustments: [],
      surveyTallies: [],
    });
    expect(leaf(zero, 'S1').applicable).toBe(false);
    expect(zero.score!.toFixed(2)).toBe('80.00');
  });
});

describe('computeUnitResult: bonus and penalty', () => {
  const capped = framework({ maxBonus: '2', maxPenalty: '5' });
  const appraised = [
    score('E1', 'APPRAISAL', 'P1', '8'),
    score('E2', 'APPRAISAL', 'P1', '16'),
    score('E3', 'APPRAISAL', 'P1', '8'),
  ];
  const survey = [tally('S1', 40, 50, 45)]; // 9; leaves earn 41 of 50

  it('takes each from the latest round in which a panelist gave it, combined by the framework rule', () => {
    const out = computeUnitResult(capped, {
      panelScores: appraised,
      surveyTallies: survey,
      adjustments: [
        adjustment('SELF_ASSESSMENT', 'UNIT', '2', null),
        adjustment('APPRAISAL', 'P1', '1', null),
        adjustment('APPRAISAL', 'P2', '1.5', null),
        adjustment('REAPPRAISAL', 'P1', null, '0.5'),
      ],
    });
    // bonus: latest round with a bonus is APPRAISAL → (1 + 1.5)/2 = 1.25 (the unit's 2 is overridden)
    // penalty: REAPPRAISAL → 0.5
    // earned = 41 + 1.25 − 0.5 = 41.75; index 2 × 41.75 = 83.50
    expect(out.bonus.toString()).toBe('1.25');
    expect(out.penalty.toString()).toBe('0.5');
    expect(out.earned.toString()).toBe('41.75');
    expect(out.score!.toFixed(2)).toBe('83.50');
    // domain and component indices ignore bonus and penalty: TTHC 17/20, CV 24/30, expert 32/40
    expect(out.domains.map((d) => d.score?.toFixed(2))).toEqual(['85.00', '80.00']);
    expect(out.expertScore?.toFixed(2)).toBe('80.00');
    expect(out.provisional).toBe(false);
  });

  it('marks the result provisional when the bonus rests on the self-assessment', () => {
    const out = computeUnitResult(capped, {
      panelScores: appraised,
      surveyTallies: survey,
      adjustments: [adjustment('SELF_ASSESSMENT', 'UNIT', '1', null), adjustment('APPRAISAL', 'P1', null, null)],
    });
    // 41 + 1 = 42 → 84.00
    expect(out.score!.toFixed(2)).toBe('84.00');
    expect(out.provisional).toBe(true);
  });

  it('combines bonuses by MEDIAN when the framework says so', () => {
    const out = computeUnitResult(framework({ maxBonus: '2', aggregation: 'MEDIAN' }), {
      panelScores: appraised,
      surveyTallies: survey,
      adjustments: [
        adjustment('APPRAISAL', 'P1', '0.5', null),
        adjustment('APPRAISAL', 'P2', '2', null),
        adjustment('APPRAISAL', 'P3', '1', null),
      ],
    });
    // median of 0.5, 1, 2 = 1; 42 → 84.00
    expect(out.bonus.toString()).toBe('1');
    expect(out.score!.toFixed(2)).toBe('84.00');
  });

  it('holds bonus and penalty to the caps, which are 0 by default', () => {
    const adjustments = [adjustment('APPRAISAL', 'P1', '3', '7')];
    const withCaps = computeUnitResult(capped, { panelScores: appraised, surveyTallies: survey, adjustments });
    // bonus min(3, 2) = 2; penalty min(7, 5) = 5; 41 + 2 − 5 = 38 → 76.00
    expect(withCaps.bonus.toString()).toBe('2');
    expect(withCaps.penalty.toString()).toBe('5');
    expect(withCaps.score!.toFixed(2)).toBe('76.00');

    const noCaps = computeUnitResult(framework(), { panelScores: appraised, surveyTallies: survey, adjustments });
    expect(noCaps.bonus.toString()).toBe('0');
    expect(noCaps.penalty.toString()).toBe('0');
    expect(noCaps.score!.toFixed(2)).toBe('82.00');
  });

  it('clamps the index to 100 when a bonus lifts earned points above the maximum', () => {
    const out = computeUnitResult(capped, {
      panelScores: [
        score('E1', 'APPRAISAL', 'P1', '10'),
        score('E2', 'APPRAISAL', 'P1', '20'),
        score('E3', 'APPRAISAL', 'P1', '10'),
      ],
      surveyTallies: [tally('S1', 40, 50, 50)],
      adjustments: [adjustment('APPRAISAL', 'P1', '2', null)],
    });
    // earned 50 + 2 = 52 of 50 → 104 → clamped to 100.00; earned itself stays exact
    expect(out.earned.toString()).toBe('52');
    expect(out.score!.toFixed(2)).toBe('100.00');
    expect(out.band?.code).toBe('EXCELLENT');
  });

  it('clamps the index to 0 when a penalty takes earned points below zero', () => {
    const out = computeUnitResult(capped, {
      panelScores: [
        score('E1', 'APPRAISAL', 'P1', '1'),
        score('E2', 'APPRAISAL', 'P1', '1'),
        score('E3', 'APPRAISAL', 'P1', '0'),
      ],
      surveyTallies: [tally('S1', 40, 50, 0)],
      adjustments: [adjustment('APPRAISAL', 'P1', null, '5')],
    });
    // earned 2 − 5 = −3 → −6 → clamped to 0.00
    expect(out.earned.toString()).toBe('-3');
    expect(out.score!.toFixed(2)).toBe('0.00');
    expect(out.band?.code).toBe('WEAK');
  });
});

describe('computeUnitResult: exact arithmetic, one rounding at the end', () => {
  /*
   * Five leaves of 20 points; the fifth is not applicable, so max = 80.
   * Points 17.28 + 18.57 + 19.04 + 19.21 = 74.10; index 100 × 74.1 / 80 =
   * 92.625 exactly → half-up 92.63.
   * In binary floating point 74.1 × 100 = 7409.999999999999, / 80 =
   * 92.62499999999999 → 92.62 (and banker's rounding of 92.625 also gives 92.62).
   */
  const fivePoints = ['17.28', '18.57', '19.04', '19.21'];

  it('rounds 92.625 up to 92.63 where floating point gives 92.62', () => {
    const fw = framework({
      domains: [{ code: 'D', name: 'Công tác chỉ đạo, điều hành CCHC' }],
      leaves: [1, 2, 3, 4, 5].map((i) => ({
        id: `L${i}`,
        code: `LV1.${i}`,
        domainCode: 'D',
        maxPoints: '20',
        source: 'EXPERT' as const,
      })),
    });
    const out = computeUnitResult(fw, {
      panelScores: [
        ...fivePoints.map((p, i) => score(`L${i + 1}`, 'APPRAISAL', 'P1', p)),
        notApplicable('L5', 'APPRAISAL', 'P1'),
      ],
      adjustments: [],
      surveyTallies: [],
    });
    expect(out.earned.toString()).toBe('74.1');
    expect(out.max.toString()).toBe('80');
    expect(out.score!.toFixed(2)).toBe('92.63');

    // the float computation this guards against
    const floatSum = fivePoints.map(Number).reduce((a, b) => a + b, 0);
    const floatIndex = (100 * floatSum) / 80;
    expect(floatIndex.toFixed(2)).toBe('92.62');
    expect((Math.round(floatIndex * 100) / 100).toFixed(2)).toBe('92.62');
  });

  /*
   * Three leaves (20, 10, 10: max 40), three panelists each, MEAN:
   *   (18.00 + 18.00 + 18.01) / 3 = 18.00333…
   *   ( 9.00 +  9.00 +  9.01) / 3 =  9.00333…
   *   ( 1.00 +  1.00 +  1.01) / 3 =  1.00333…
   * sum = 28.01 exactly; index 100 × 28.01 / 40 = 70.025 → half-up 70.03.
   * A Decimal computation at 40 significant digits rounds each mean
   * (…333 3 truncated), sums to 28.00999…9 and publishes 70.02.
   */
  it('keeps non-terminating panel means exact: 70.025 → 70.03 where 40-digit decimals give 70.02', () => {
    const fw = framework({
      domains: [{ code: 'D', name: 'Cải cách chế độ công vụ' }],
      leaves: [
        { id: 'A', code: 'LV5.1', domainCode: 'D', maxPoints: '20', source: 'EXPERT' },
        { id: 'B', code: 'LV5.2', domainCode: 'D', maxPoints: '10', source: 'EXPERT' },
        { id: 'C', code: 'LV5.3', domainCode: 'D', maxPoints: '10', source: 'EXPERT' },
      ],
    });
    const panel: Record<string, string[]> = {
      A: ['18.00', '18.00', '18.01'],
      B: ['9.00', '9.00', '9.01'],
      C: ['1.00', '1.00', '1.01'],
    };
    const out = computeUnitResult(fw, {
      panelScores: Object.entries(panel).flatMap(([id, points]) =>
        points.map((p, i) => score(id, 'APPRAISAL', `P${i + 1}`, p)),
      ),
      adjustments: [],
      surveyTallies: [],
    });
    expect(out.earned.toString()).toBe('28.01');
    expect(out.score!.toFixed(2)).toBe('70.03');

    // the 40-digit decimal computation this guards against
    const D40 = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
    const means = Object.values(panel).map((points) =>
      points.reduce((a, p) => a.plus(p), new D40(0)).div(points.length),
    );
    const decimalIndex = means.reduce((a, m) => a.plus(m), new D40(0)).times(100).div(40);
    expect(decimalIndex.toDecimalPlaces(2).toFixed(2)).toBe('70.02');
  });

  it('gives no index and no band when nothing is applicable (applicable maximum 0), nor domain and component indices', () => {
    // Every expert leaf not applicable, the survey leaf under minResponses (3 < 30): max = 0.
    const out = computeUnitResult(framework(), {
      panelScores: ['E1', 'E2', 'E3'].map((id) => notApplicable(id, 'APPRAISAL', 'P1')),
      adjustments: [],
      surveyTallies: [tally('S1', 3, 3, 3)],
    });
    expect(out.max.toString()).toBe('0');
    expect(out.score).toBeNull();
    expect(out.band).toBeNull();
    expect(out.expertScore).toBeNull();
    expect(out.surveyScore).toBeNull();
    expect(out.domains.map((d) => d.score)).toEqual([null, null]);
    // The plain exact implementation agrees.
    const exact = computeUnitResultExact(framework(), {
      panelScores: ['E1', 'E2', 'E3'].map((id) => notApplicable(id, 'APPRAISAL', 'P1')),
      adjustments: [],
      surveyTallies: [tally('S1', 3, 3, 3)],
    });
    expect([exact.score, exact.band]).toEqual([null, null]);
  });

  it('lists domains in framework order with exact earned and maximum points', () => {
    const out = computeUnitResult(framework(), unit([score('E1', 'APPRAISAL', 'P1', '7.25')]));
    // TTHC: 7.25 + 9 = 16.25 of 20 → 81.25; CV: 16 + 8 = 24 of 30 → 80.00
    expect(out.domains).toHaveLength(2);
    expect(out.domains[0]).toMatchObject({ code: 'TTHC', name: 'Cải cách thủ tục hành chính' });
    expect(out.domains[0].earned.toString()).toBe('16.25');
    expect(out.domains[0].max.toString()).toBe('20');
    expect(out.domains[0].score?.toFixed(2)).toBe('81.25');
    expect(out.domains[1].score?.toFixed(2)).toBe('80.00');
    // overall 40.25 → 80.50
    expect(out.score!.toFixed(2)).toBe('80.50');
  });
});

describe('computeUnitResult: bands', () => {
  const appraised = [
    score('E1', 'APPRAISAL', 'P1', '9'),
    score('E2', 'APPRAISAL', 'P1', '18'),
    score('E3', 'APPRAISAL', 'P1', '9'),
  ];

  it('classifies the rounded index: 89.995 publishes as 90.00 and is "Xuất sắc"', () => {
    const out = computeUnitResult(framework(), {
      panelScores: appraised,
      adjustments: [],
      // S1 = 10 × 3599/4000 = 8.9975; earned 36 + 8.9975 = 44.9975; index 89.995 → 90.00
      surveyTallies: [tally('S1', 2000, 4000, 3599)],
    });
    expect(out.score!.toFixed(2)).toBe('90.00');
    expect(out.band).toEqual({ code: 'EXCELLENT', label: 'Xuất sắc', minScore: 90 });
  });

  it("uses the framework's own bands (Nam Định: group I from 80)", () => {
    const namDinh: BandSpec[] = [
      { code: 'GROUP_I', label: 'Nhóm I', minScore: '80' },
      { code: 'GROUP_II', label: 'Nhóm II', minScore: '65' },
      { code: 'GROUP_III', label: 'Nhóm III', minScore: '50' },
      { code: 'GROUP_IV', label: 'Nhóm IV', minScore: '0' },
    ];
    const input: UnitInput = {
      panelScores: appraised,
      adjustments: [],
      // S1 = 10 × 20/50 = 4; earned 40 → 80.00
      surveyTallies: [tally('S1', 50, 50, 20)],
    };
    const out = computeUnitResult(framework({ bands: namDinh }), input);
    expect(out.score!.toFixed(2)).toBe('80.00');
    expect(out.band?.code).toBe('GROUP_I');
    expect(computeUnitResult(framework(), input).band?.code).toBe('GOOD');
  });

  it('gives no band when the index reaches none of them', () => {
    const out = computeUnitResult(framework({ bands: [{ code: 'TOP', label: 'Top', minScore: 95 }] }), unit([]));
    expect(out.band).toBeNull();
  });
});

describe('computeUnitResult: refuses what it must not clip', () => {
  const expect400 = (input: Partial<UnitInput>, message: string | RegExp, fw = framework()) => {
    const run = () =>
      computeUnitResult(fw, { panelScores: [], adjustments: [], surveyTallies: [], ...input });
    expect(run).toThrow(ScoringInputError);
    expect(run).toThrow(message);
  };

  it('refuses points above the maximum, below zero, or with more than two decimals', () => {
    expect400({ panelScores: [score('E1', 'APPRAISAL', 'P1', '10.5')] }, 'points 10.5 exceed the maximum 10 of criterion LV3.1');
    expect400({ panelScores: [score('E1', 'APPRAISAL', 'P1', '-1')] }, 'points -1 of criterion LV3.1 are negative; allowed: 0 to 10');
    expect400({ panelScores: [score('E1', 'APPRAISAL', 'P1', '7.125')] }, 'points 7.125 of criterion LV3.1 have more than 2 decimals');
    expect400({ panelScores: [score('E1', 'APPRAISAL', 'P1', 'bảy')] }, /points "bảy" of criterion LV3.1 are not a number/);
    // a float that leaked into the input: 0.1 + 0.2
    expect400(
      { panelScores: [{ ...score('E1', 'APPRAISAL', 'P1', null), points: 0.1 + 0.2 }] },
      'points 0.30000000000000004 of criterion LV3.1 have more than 2 decimals',
    );
  });

  it('refuses scores for unknown or survey criteria, tallies for expert criteria, and duplicates', () => {
    expect400({ panelScores: [score('X9', 'APPRAISAL', 'P1', '1')] }, 'a panel score names criterion X9, which is not in the framework');
    expect400({ panelScores: [score('S1', 'APPRAISAL', 'P1', '1')] }, 'a panel score for criterion LV3.2, whose source is SURVEY');
    expect400({ surveyTallies: [tally('E1', 40, 40, 40)] }, 'a survey tally for criterion LV3.1, whose source is EXPERT');
    expect400(
      { panelScores: [score('E1', 'APPRAISAL', 'P1', '1'), score('E1', 'APPRAISAL', 'P1', '2')] },
      'panelist P1 scored criterion LV3.1 twice in APPRAISAL',
    );
    expect400({ surveyTallies: [tally('S1', 40, 40, 41)] }, 'criterion LV3.2 has 41 satisfied answers out of only 40 answers');
    expect400({ surveyTallies: [tally('S1', 40.5, 40, 40)] }, 'responses of criterion LV3.2 40.5 is not a non-negative whole number');
    expect400(
      { panelScores: [{ ...score('E1', 'APPRAISAL', 'P1', '1'), round: 'FINAL' as Round }] },
      /unknown round FINAL/,
    );
  });

  it('refuses negative bonus or penalty', () => {
    expect400({ adjustments: [adjustment('APPRAISAL', 'P1', '-1', null)] }, 'bonus -1 is negative', framework({ maxBonus: 2 }));
  });

  it('refuses an inconsistent framework', () => {
    const fw = framework();
    expect400({}, 'criterion LV9 names unknown domain LV9X', {
      ...fw,
      leaves: [...fw.leaves, { id: 'E9', code: 'LV9', domainCode: 'LV9X', maxPoints: 1, source: 'EXPERT' }],
    });
    expect400({}, /criterion LV3.1 \(E1\) appears twice/, { ...fw, leaves: [...fw.leaves, fw.leaves[0]] });
  });

  it('exports the point and adjustment checks for services to validate input with', () => {
    expect(describeInvalidPoints('7.5', '5', 'LV3.2.1')).toBe('points 7.5 exceed the maximum 5 of criterion LV3.2.1');
    expect(describeInvalidPoints('5', '5', 'LV3.2.1')).toBeNull();
    expect(describeInvalidPoints('0', '5', 'LV3.2.1')).toBeNull();
    expect(describeInvalidPoints('4.75', '5', 'LV3.2.1')).toBeNull();
    expect(describeInvalidAdjustment('bonus', '3', '2')).toBe('bonus 3 exceeds the cap 2 of the framework');
    expect(describeInvalidAdjustment('penalty', '1.5', '2')).toBeNull();
  });
});
