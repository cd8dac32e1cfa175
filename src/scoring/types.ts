import type Decimal from 'decimal.js';

/** Scoring rounds of the expert panel, in the order they happen. */
export type Round = 'SELF_ASSESSMENT' | 'APPRAISAL' | 'REAPPRAISAL';
/** How the points of several panelists in one round are combined. */
export type Aggregation = 'MEAN' | 'MEDIAN';
/** Where a leaf criterion's points come from. */
export type Source = 'EXPERT' | 'SURVEY';
/** A figure as it arrives: pg returns `numeric` as a string. */
export type DecimalInput = string | number | Decimal;

/** A leaf criterion ("tiêu chí thành phần") with its maximum points. */
export interface LeafSpec {
  id: string;
  code: string;
  domainCode: string;
  maxPoints: DecimalInput;
  source: Source;
}

export interface DomainSpec {
  code: string;
  name: string;
}

/** A classification band: the unit reaches it when its rounded index is ≥ minScore. */
export interface BandSpec {
  code: string;
  label: string;
  minScore: DecimalInput;
}

/** One year's framework for one unit kind, as the method needs it. */
export interface FrameworkSpec {
  /** In display order. */
  domains: DomainSpec[];
  leaves: LeafSpec[];
  /** MEAN by default (FRAMEWORK_DEFAULTS). */
  aggregation: Aggregation;
  /** Fewest survey responses for a SURVEY leaf to count; 30 by default. */
  minResponses: number;
  /** Caps on bonus and penalty points; 0 (none) by default. */
  maxBonus: DecimalInput;
  maxPenalty: DecimalInput;
  /** Highest first. */
  bands: BandSpec[];
}

/** One panelist's score of one EXPERT leaf in one round. */
export interface PanelScore {
  leafId: string;
  round: Round;
  panelist: string;
  /** Null when the panelist marked the leaf not applicable (or gave no points yet). */
  points: DecimalInput | null;
  notApplicable: boolean;
}

/** One panelist's bonus ("điểm thưởng") and penalty ("điểm trừ") for the unit in one round. */
export interface Adjustment {
  round: Round;
  panelist: string;
  bonus: DecimalInput | null;
  penalty: DecimalInput | null;
}

/** The survey counts of one SURVEY leaf for one unit and year. */
export interface SurveyTally {
  leafId: string;
  /** Distinct responses that answered any of the leaf's questions. */
  responses: number;
  /** Answers to the leaf's questions. */
  answers: number;
  /** Of those answers, the satisfied ones. */
  satisfied: number;
}

/** Everything the method needs about one unit in one year. */
export interface UnitInput {
  panelScores: PanelScore[];
  adjustments: Adjustment[];
  surveyTallies: SurveyTally[];
}

export interface DomainOutcome {
  code: string;
  name: string;
  /** Exact; applicable leaves of the domain, without bonus and penalty. */
  earned: Decimal;
  max: Decimal;
  /** 100 × earned / max rounded half-up to 2 decimals; null when max = 0. */
  score: Decimal | null;
}

/**
 * How a leaf came out:
 * - SCORED: applicable, points from the panel (or survey rate);
 * - NOT_APPLICABLE: every panelist of the chosen round marked it so;
 * - MISSING: EXPERT leaf with no score in any round (earns 0, stays in max);
 * - SURVEY_INSUFFICIENT: fewer than minResponses responses (not applicable).
 */
export type LeafStatus = 'SCORED' | 'NOT_APPLICABLE' | 'MISSING' | 'SURVEY_INSUFFICIENT';

export interface LeafOutcome {
  leafId: string;
  code: string;
  source: Source;
  status: LeafStatus;
  applicable: boolean;
  /**
   * What the leaf adds to the unit's earned and max points, exact: both 0
   * when it is not applicable, so the leaves' max add up to the unit's max.
   */
  earned: Decimal;
  max: Decimal;
  /** The panel round used (EXPERT leaves); null for SURVEY leaves and missing scores. */
  round: Round | null;
}

export interface UnitOutcome {
  /** Exact; earned includes bonus − penalty. */
  earned: Decimal;
  max: Decimal;
  /**
   * 100 × earned / max, clamped to [0, 100], rounded half-up to 2 decimals;
   * null when max = 0: the unit has no index that year (not ranked, banded or averaged).
   */
  score: Decimal | null;
  /** Component indices, rounded; null when that source has no applicable leaf. */
  expertScore: Decimal | null;
  surveyScore: Decimal | null;
  /** Exact, after the caps. */
  bonus: Decimal;
  penalty: Decimal;
  /** In the framework's domain order. */
  domains: DomainOutcome[];
  /** The first band whose minScore the rounded score reaches; null without an index. */
  band: BandSpec | null;
  /** Some EXPERT leaf (or the bonus or penalty) rests on the self-assessment, or some EXPERT leaf has no score. */
  provisional: boolean;
  /** Some SURVEY leaf had fewer than minResponses responses. */
  surveyInsufficient: boolean;
  /** In the framework's leaf order. */
  leaves: LeafOutcome[];
}

/** Something ranked: a unit's result, or its index in one domain. */
export interface Rankable {
  key: string;
  name: string;
  code: string;
  score: Decimal | null;
  /**
   * Optional: the item's place in the listing order of ties (Vietnamese name,
   * then code, then key), computed once by `listingOrder` when one set of
   * units is ranked many times (overall, per domain, per district).
   */
  listing?: number;
}

export interface RankingSummaryOutcome {
  count: number;
  /** Average of the rounded scores, rounded once; null for an empty ranking. */
  average: Decimal | null;
  highestKey: string | null;
  lowestKey: string | null;
  /** Every band of the framework, in framework order, including zero counts. */
  bands: { code: string; count: number }[];
}
