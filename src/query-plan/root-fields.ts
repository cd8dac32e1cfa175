/*
 * What the plan's readers need to know of each root field, in one table: a
 * new root field that is not a plain query (a kiosk may call it, it has a
 * price of its own, it changes data cached answers show) is one entry here.
 * Its resolver is wired in src/schema.ts, and a renderer too when
 * PostgreSQL writes its whole answer (src/http/rendered-queries.ts).
 */

import { sensitivityPrice, whatIfPrice } from '../analysis/price';

/** The arguments of a planned field: as written, variables substituted, not coerced. */
type Args = Record<string, unknown>;

export interface RootField {
  /** A kiosk token may call it (kiosks may call nothing else: src/auth/kiosk-scope.plugin.ts). */
  kiosk?: boolean;
  /** Its own price in the cost budget on top of what it holds (src/protection/cost.ts), from its arguments. */
  price?: (args: Args) => number;
  /**
   * A mutation: which cached answers it may change (src/cache/response-cache.ts):
   * none, or those of the year it returns (and the next, whose rank changes
   * show it); null: it cannot tell, every answer. Unlisted mutations change everything.
   */
  changes?: 'nothing' | ((args: Args) => number | null);
}

const integer = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const yearArg = (args: Args) => integer(args.year);
const inputYear = (args: Args) => integer((args.input as Args | null | undefined)?.year);

/**
 * `satisfaction` aggregates the survey roll-ups of its scope in PostgreSQL:
 * one unit's tallies, a kind's, or the whole province's (every unit of
 * every kind), and a second roll-up for groupings that count responses
 * (all but QUESTION). Its price follows what it scans, measured on the
 * demo province against a ranking page (README, Query surface): about
 * 1 ms for a unit, 5–15 ms for a kind or the province.
 */
export const SATISFACTION_SCAN_COST = { unit: 50, kind: 250, province: 500 };

function satisfactionCost(args: Args): number {
  const scan = typeof args.unitCode === 'string' ? SATISFACTION_SCAN_COST.unit
    : typeof args.unitKind === 'string' ? SATISFACTION_SCAN_COST.kind : SATISFACTION_SCAN_COST.province;
  const grouping = args.groupBy === undefined || args.groupBy === null || args.groupBy === 'QUESTION' ? 1 : 2;
  return scan * grouping;
}

export const ROOT_FIELDS: Record<string, RootField> = {
  satisfaction: { price: satisfactionCost },
  // Analysts' work, by its arguments (src/analysis/price.ts).
  sensitivity: { price: sensitivityPrice },
  whatIf: { price: whatIfPrice },
  // The audit history counts its filtered entries for totalCount (indexed by each filter; unfiltered, the whole table).
  auditLog: { price: (args) => (args.year != null || args.unitCode != null || args.actor != null || args.operation != null ? 50 : 250) },
  // Survey responses touch no published figure (the roll-ups move on their own).
  submitSurveyResponse: { kiosk: true, changes: 'nothing' },
  submitSurveyResponses: { kiosk: true, changes: 'nothing' },
  // Kiosk is not a reference type (no answer reading one is cached) and anonymous readers cannot read tokens or kiosks.
  issueToken: { changes: 'nothing' },
  // Tokens are looked up before the cache is (src/app.ts): a revoked token is refused before any answer is served.
  revokeToken: { changes: 'nothing' },
  registerKiosk: { changes: 'nothing' },
  revokeKiosk: { changes: 'nothing' },
  publishCycle: { changes: yearArg },
  amendPublication: { changes: inputYear },
  openCycle: { changes: yearArg },
  defineQuestionnaire: { changes: yearArg },
  defineCycle: { changes: inputYear },
  submitExpertScores: { changes: inputYear },
  // Evidence and explanation requests are never in a cached answer (anonymous readers cannot see them; not reference types).
  requestExplanation: { changes: 'nothing' },
  answerExplanation: { changes: 'nothing' },
  closeExplanation: { changes: 'nothing' },
  removeEvidence: { changes: 'nothing' },
  // Round windows and withdrawing a score (src/appraisal): the cycle's year, and the next one's rank changes.
  setRoundWindow: { changes: inputYear },
  extendRoundWindow: { changes: yearArg },
  withdrawExpertScore: { changes: yearArg },
};

/** The root fields a kiosk token may call. */
export const KIOSK_FIELDS = new Set(Object.keys(ROOT_FIELDS).filter((name) => ROOT_FIELDS[name].kiosk));

/** Query fields with a price of their own, as the cost estimates name them (`Query.field`). */
export const ROOT_PRICES: Record<string, (args: Args) => number> = Object.fromEntries(
  Object.entries(ROOT_FIELDS).flatMap(([name, f]) => (f.price ? [[`Query.${name}`, f.price]] : [])),
);
