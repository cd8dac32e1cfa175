import fc from 'fast-check';
import { explain } from '../../src/analysis/explanation';
import {
  type Adjustment, computeUnitResult, DEFAULT_BANDS, type FrameworkSpec, type PanelScore, roundHalfUp2, ScoringDecimal, type SurveyTally,
} from '../../src/scoring';
import { framework } from '../support/small-framework';

/*
 * Explanations on the small framework (tests/support/small-framework.ts):
 *   TTHC: E1 LV3.1 EXPERT 10, S1 LV3.2 SURVEY 10;  CV: E2 LV5.1 EXPERT 20, E3 LV5.2 EXPERT 10.
 */
const D = (v: string | number) => new ScoringDecimal(v);
const sum = (values: string[]) => values.reduce((a, v) => a.plus(v), D(0));
const score = (leafId: string, round: PanelScore['round'], panelist: string, points: string | null, notApplicable = false): PanelScore =>
  ({ leafId, round, panelist, points, notApplicable });

describe('explaining a unit’s index', () => {
  it('N/A leaf, survey leaf below minResponses, a mean, a re-appraisal, bonus and penalty: the leaves add up exactly', () => {
    const spec = framework({ maxBonus: '2', maxPenalty: '3' });
    const outcome = computeUnitResult(spec, {
      panelScores: [
        score('E1', 'APPRAISAL', 'A', null, true), score('E1', 'APPRAISAL', 'B', null, true),
        score('E2', 'APPRAISAL', 'A', '15'), score('E2', 'APPRAISAL', 'B', '16'),
        score('E3', 'APPRAISAL', 'A', '5'), score('E3', 'REAPPRAISAL', 'A', '8'),
      ],
      adjustments: [{ round: 'APPRAISAL', panelist: 'A', bonus: '1.5', penalty: null }, { round: 'APPRAISAL', panelist: 'B', bonus: '1.5', penalty: '0.5' }],
      surveyTallies: [{ leafId: 'S1', responses: 12, answers: 24, satisfied: 18 }],
    });
    const e = explain(spec, outcome);
    // E1 not applicable; S1 12 < 30 responses: not applicable; E2 mean(15, 16) = 15.5; E3 re-appraised 8.
    // Earned 15.5 + 8 + 1.5 − 0.5 = 24.5 of 20 + 10 = 30: 81.666… → 81.67.
    expect(e.leaves).toEqual([
      { criterionCode: 'LV3.1', domainCode: 'TTHC', source: 'EXPERT', maxPoints: '10', applicable: false, round: 'APPRAISAL', panelPoints: [], answers: null, satisfied: null, earnedPoints: '0' },
      { criterionCode: 'LV3.2', domainCode: 'TTHC', source: 'SURVEY', maxPoints: '10', applicable: false, round: null, panelPoints: [], answers: 24, satisfied: 18, earnedPoints: '0' },
      { criterionCode: 'LV5.1', domainCode: 'CV', source: 'EXPERT', maxPoints: '20', applicable: true, round: 'APPRAISAL', panelPoints: ['15', '16'], answers: null, satisfied: null, earnedPoints: '15.5' },
      { criterionCode: 'LV5.2', domainCode: 'CV', source: 'EXPERT', maxPoints: '10', applicable: true, round: 'REAPPRAISAL', panelPoints: ['8'], answers: null, satisfied: null, earnedPoints: '8' },
    ]);
    expect(e).toMatchObject({ bonus: '1.5', penalty: '0.5', earnedPoints: '24.5', applicableMaxPoints: '30', score: '81.67' });
    expect(e.rawIndex).toBe('81.66666666666666666666666666666666666667');
    expect(sum(e.leaves.map((l) => l.earnedPoints)).plus(e.bonus).minus(e.penalty).toString()).toBe(e.earnedPoints);
    expect(sum(e.leaves.filter((l) => l.applicable).map((l) => l.maxPoints)).toString()).toBe(e.applicableMaxPoints);
  });

  it('a survey leaf with enough responses earns max × satisfied / answers', () => {
    const spec = framework({ minResponses: 2 });
    const e = explain(spec, computeUnitResult(spec, {
      panelScores: [score('E1', 'APPRAISAL', 'A', '10'), score('E2', 'APPRAISAL', 'A', '20'), score('E3', 'APPRAISAL', 'A', '10')],
      adjustments: [], surveyTallies: [{ leafId: 'S1', responses: 5, answers: 8, satisfied: 6 }],
    }));
    // S1 = 10 × 6 / 8 = 7.5; 47.5 / 50 = 95.
    expect(e.leaves[1]).toMatchObject({ applicable: true, answers: 8, satisfied: 6, earnedPoints: '7.5' });
    expect(e).toMatchObject({ earnedPoints: '47.5', applicableMaxPoints: '50', rawIndex: '95', score: '95.00' });
  });

  it('clamps: a penalty beyond the points earned gives 0, a bonus beyond the maximum 100', () => {
    const spec = framework({ maxBonus: '5', maxPenalty: '5', minResponses: 1 });
    const low = explain(spec, computeUnitResult(spec, {
      panelScores: [score('E1', 'APPRAISAL', 'A', '1'), score('E2', 'APPRAISAL', 'A', '1'), score('E3', 'APPRAISAL', 'A', '1')],
      adjustments: [{ round: 'APPRAISAL', panelist: 'A', bonus: null, penalty: '5' }], surveyTallies: [],
    }));
    // 3 − 5 = −2 of 40: −5 → 0.
    expect(low).toMatchObject({ earnedPoints: '-2', applicableMaxPoints: '40', rawIndex: '0', score: '0.00' });
    const high = explain(spec, computeUnitResult(spec, {
      panelScores: [score('E1', 'APPRAISAL', 'A', '10'), score('E2', 'APPRAISAL', 'A', '20'), score('E3', 'APPRAISAL', 'A', '10')],
      adjustments: [{ round: 'APPRAISAL', panelist: 'A', bonus: '5', penalty: null }], surveyTallies: [{ leafId: 'S1', responses: 3, answers: 3, satisfied: 3 }],
    }));
    // 50 + 5 = 55 of 50: 110 → 100.
    expect(high).toMatchObject({ earnedPoints: '55', applicableMaxPoints: '50', rawIndex: '100', score: '100.00' });
  });

  it('for random frameworks and scores, the explanation’s arithmetic gives the score', () => {
    const leafArb = fc.record({ max: fc.integer({ min: 1, max: 20 }), survey: fc.boolean(), domain: fc.integer({ min: 0, max: 2 }) });
    const caseArb = fc.record({
      leaves: fc.array(leafArb, { minLength: 1, maxLength: 8 }),
      median: fc.boolean(),
      caps: fc.record({ bonus: fc.integer({ min: 0, max: 5 }), penalty: fc.integer({ min: 0, max: 5 }) }),
      seed: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 64, maxLength: 64 }),
    });
    fc.assert(fc.property(caseArb, ({ leaves, median, caps, seed }) => {
      let k = 0;
      const next = () => seed[k++ % seed.length];
      const spec: FrameworkSpec = {
        domains: [{ code: 'A', name: 'A' }, { code: 'B', name: 'B' }, { code: 'C', name: 'C' }],
        leaves: leaves.map((l, i) => ({ id: `L${i}`, code: `L${i}`, domainCode: 'ABC'[l.domain], maxPoints: String(l.max), source: l.survey ? 'SURVEY' : 'EXPERT' })),
        aggregation: median ? 'MEDIAN' : 'MEAN', minResponses: 3, maxBonus: String(caps.bonus), maxPenalty: String(caps.penalty), bands: DEFAULT_BANDS,
      };
      const panelScores: PanelScore[] = [];
      const surveyTallies: SurveyTally[] = [];
      leaves.forEach((l, i) => {
        if (l.survey) {
          const answers = next() % 50;
          surveyTallies.push({ leafId: `L${i}`, responses: next() % 6, answers, satisfied: answers === 0 ? 0 : next() % (answers + 1) });
        } else {
          const panelists = 1 + (next() % 3);
          for (let p = 0; p < panelists; p++) {
            const na = next() % 7 === 0;
            panelScores.push(score(`L${i}`, (['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'] as const)[next() % 3], `P${p}`,
              na ? null : ((next() % (l.max * 100 + 1)) / 100).toFixed(2), na));
          }
        }
      });
      const adjustments: Adjustment[] = [{
        round: 'APPRAISAL', panelist: 'P0',
        bonus: caps.bonus ? String((next() % (caps.bonus * 100 + 1)) / 100) : null,
        penalty: caps.penalty ? String((next() % (caps.penalty * 100 + 1)) / 100) : null,
      }];
      const outcome = computeUnitResult(spec, { panelScores, adjustments, surveyTallies });
      if (outcome.score === null) return;
      const e = explain(spec, outcome);
      // The leaves add up to the total (exactly when every figure terminates; non-terminating ones have 40 digits).
      const total = sum(e.leaves.map((l) => l.earnedPoints)).plus(e.bonus).minus(e.penalty);
      expect(total.minus(e.earnedPoints).abs().lessThan('1e-30')).toBe(true);
      expect(sum(e.leaves.filter((l) => l.applicable).map((l) => l.maxPoints)).eq(e.applicableMaxPoints)).toBe(true);
      // Not applicable leaves earn nothing; 100 × total / max, clamped, is rawIndex, and rounded half-up the score.
      for (const l of e.leaves) if (!l.applicable) expect(l.earnedPoints).toBe('0');
      const index = D(100).times(total).div(e.applicableMaxPoints);
      const clamped = index.isNegative() ? D(0) : index.greaterThan(100) ? D(100) : index;
      expect(clamped.minus(e.rawIndex).abs().lessThan('1e-30')).toBe(true);
      expect(roundHalfUp2(D(e.rawIndex)).toFixed(2)).toBe(e.score);
      expect(e.score).toBe(outcome.score.toFixed(2));
    }), { numRuns: 300 });
  });
});
