import type Decimal from 'decimal.js';
import { type FrameworkSpec, leafInputs, type Round, ScoringDecimal, type Source, type UnitOutcome } from '../scoring';

/*
 * A unit's figures explained (DOMAIN.md, "Explaining and testing the
 * figures") from the index method's own outcome: its leaves (status, round
 * used, earned and maximum points) and what each was computed from
 * (leafInputs: the panel scores combined, the survey counts), its bonus,
 * penalty and totals. Nothing is computed again here but the unrounded
 * index, 100 × earned / max clamped to [0, 100], which the score is that
 * index rounded half-up.
 *
 * Figures are the method's exact decimals as strings: exact whenever they
 * terminate (points with two decimals, means of two or four panelists,
 * most survey rates); a figure that does not (a mean of three, a rate of
 * 2/3) is written to 40 significant digits.
 */

export interface LeafExplanationRow {
  criterionCode: string; domainCode: string; source: Source; maxPoints: string; applicable: boolean;
  round: Round | null;
  /** The panel points combined into the leaf's figure (the round used, not marked not applicable), in input order. */
  panelPoints: string[];
  /** SURVEY leaves: answers and satisfied answers to its questions; null for EXPERT leaves. */
  answers: number | null; satisfied: number | null;
  earnedPoints: string;
}

export interface ExplanationRow {
  score: string; rawIndex: string; earnedPoints: string; applicableMaxPoints: string; bonus: string; penalty: string;
  leaves: LeafExplanationRow[];
}

const HUNDRED = new ScoringDecimal(100);

/** The unrounded index of earned over max: 100 × earned / max, clamped to [0, 100]. */
function rawIndex(earned: Decimal, max: Decimal): Decimal {
  const index = HUNDRED.times(earned).div(max);
  return index.isNegative() ? new ScoringDecimal(0) : index.greaterThan(HUNDRED) ? HUNDRED : index;
}

/** The explanation of an outcome of computeUnitResult (with an index) under `spec`. */
export function explain(spec: FrameworkSpec, outcome: UnitOutcome): ExplanationRow {
  if (outcome.score === null) throw new Error('a unit without an index has no explanation');
  const leaves = outcome.leaves.map((leaf, i): LeafExplanationRow => {
    const inputs = leafInputs(leaf);
    const survey = inputs?.survey ?? null;
    return {
      criterionCode: leaf.code, domainCode: spec.leaves[i].domainCode, source: leaf.source,
      maxPoints: new ScoringDecimal(spec.leaves[i].maxPoints).toString(), applicable: leaf.applicable, round: leaf.round,
      panelPoints: (inputs?.panel ?? []).filter((p) => p.counted && p.points !== null).map((p) => p.points!.toString()),
      answers: survey ? survey.answers : null, satisfied: survey ? survey.satisfied : null,
      earnedPoints: leaf.earned.toString(),
    };
  });
  return {
    score: outcome.score.toFixed(2), rawIndex: rawIndex(outcome.earned, outcome.max).toString(),
    earnedPoints: outcome.earned.toString(), applicableMaxPoints: outcome.max.toString(),
    bonus: outcome.bonus.toString(), penalty: outcome.penalty.toString(), leaves,
  };
}
