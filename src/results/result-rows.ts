import type { EntityManager } from 'typeorm';
import type { UnitOutcome } from '../scoring';

/**
 * The stored results as the engine writes them: one tuple per index_result
 * row and per domain_result row, in the column order of the statements
 * below, built in one place for the full recomputation and the single-unit
 * update alike (so that what one writes, the other compares equal).
 */

/**
 * index_result: [unit_id, score, expert_score, survey_score, earned_points, max_points, rank, parent_rank,
 * previous_rank, band_code, responses, survey_insufficient, provisional, position, parent_position, published]
 */
export type UnitTuple = [
  number, string, string | null, string | null, string, string, number, number | null,
  number | null, string | null, number, boolean, boolean, number, number | null, boolean,
];
/** domain_result: [unit_id, domain_id, score, earned_points, max_points, rank, position] */
export type DomainTuple = [number, number, string | null, string, string, number, number];

/** Where the places of a tuple are. */
export const U = { score: 1, rank: 6, parentRank: 7, position: 13, parentPosition: 14 } as const;
export const D = { score: 2, rank: 5, position: 6 } as const;

/** The outcome of a unit that has an index (an applicable maximum above 0). */
export type IndexedOutcome = UnitOutcome & { score: NonNullable<UnitOutcome['score']> };

const fixed = (d: { toFixed(n: number): string } | null) => (d === null ? null : d.toFixed(2));

export interface Place { rank: number; position: number }

/**
 * What a unit's rows take from its outcome, everything but the places, as
 * written; with the scores its rankings compare (the method's Decimals).
 */
export interface OutcomeFields {
  score: IndexedOutcome['score'];
  domainScores: UnitOutcome['domains'][number]['score'][];
  /** score, expert_score, survey_score, earned_points, max_points, band_code, survey_insufficient, provisional */
  unit: [string, string | null, string | null, string, string, string | null, boolean, boolean];
  /** Per domain: score, earned_points, max_points. */
  domains: [string | null, string, string][];
}

export function fieldsOf(o: IndexedOutcome): OutcomeFields {
  return {
    score: o.score,
    domainScores: o.domains.map((d) => d.score),
    unit: [o.score.toFixed(2), fixed(o.expertScore), fixed(o.surveyScore), o.earned.toString(), o.max.toString(),
      o.band?.code ?? null, o.surveyInsufficient, o.provisional],
    domains: o.domains.map((d) => [fixed(d.score), d.earned.toString(), d.max.toString()]),
  };
}

export function tupleOf(
  unitId: number, f: OutcomeFields, overall: Place, parent: Place | null,
  previousRank: number | null, responses: number, published: boolean,
): UnitTuple {
  const [score, expert, survey, earned, max, band, insufficient, provisional] = f.unit;
  return [
    unitId, score, expert, survey, earned, max, overall.rank, parent?.rank ?? null, previousRank, band, responses, insufficient,
    provisional, overall.position, parent?.position ?? null, published,
  ];
}

export function domainTupleOf(unitId: number, domainId: number, [score, earned, max]: OutcomeFields['domains'][number], place: Place): DomainTuple {
  return [unitId, domainId, score, earned, max, place.rank, place.position];
}

export function unitTuple(
  unitId: number, o: IndexedOutcome, overall: Place, parent: Place | null,
  previousRank: number | null, responses: number, published: boolean,
): UnitTuple {
  return tupleOf(unitId, fieldsOf(o), overall, parent, previousRank, responses, published);
}

export function domainTuple(unitId: number, domainId: number, d: UnitOutcome['domains'][number], place: Place): DomainTuple {
  return [unitId, domainId, fixed(d.score), d.earned.toString(), d.max.toString(), place.rank, place.position];
}

/** A stored two-decimal score as whole hundredths (null stays null): what ranks compare. */
export function cents(score: string | null): number | null {
  return score === null ? null : Math.round(Number(score) * 100);
}

export function sameTuple(a: readonly unknown[] | undefined, b: readonly unknown[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const column = <T extends readonly unknown[]>(rows: T[], i: number) => rows.map((row) => row[i]);

/** Upserts index_result rows, then domain_result rows (which reference them), keyed by (cycle, unit[, domain]). */
export async function upsertRows(tx: EntityManager, cycleId: number, units: UnitTuple[], domains: DomainTuple[]): Promise<void> {
  if (units.length > 0) {
    await tx.query(
      `INSERT INTO index_result (cycle_id, unit_id, score, expert_score, survey_score, earned_points, max_points, rank,
                                 parent_rank, previous_rank, band_code, responses, survey_insufficient, provisional,
                                 position, parent_position, published, computed_at)
       SELECT $1, t.*, now()
         FROM unnest($2::int[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::int[],
                     $9::int[], $10::int[], $11::varchar[], $12::int[], $13::boolean[], $14::boolean[], $15::int[], $16::int[],
                     $17::boolean[]) AS t
       ON CONFLICT (cycle_id, unit_id) DO UPDATE SET
         score = excluded.score, expert_score = excluded.expert_score, survey_score = excluded.survey_score,
         earned_points = excluded.earned_points, max_points = excluded.max_points, rank = excluded.rank,
         parent_rank = excluded.parent_rank, previous_rank = excluded.previous_rank, band_code = excluded.band_code,
         responses = excluded.responses, survey_insufficient = excluded.survey_insufficient,
         provisional = excluded.provisional, position = excluded.position, parent_position = excluded.parent_position,
         published = excluded.published, computed_at = excluded.computed_at`,
      [cycleId, ...Array.from({ length: 16 }, (_, i) => column(units, i))],
    );
  }
  if (domains.length > 0) {
    await tx.query(
      `INSERT INTO domain_result (cycle_id, unit_id, domain_id, score, earned_points, max_points, rank, position)
       SELECT $1, t.*
         FROM unnest($2::int[], $3::int[], $4::numeric[], $5::numeric[], $6::numeric[], $7::int[], $8::int[]) AS t
       ON CONFLICT (cycle_id, unit_id, domain_id) DO UPDATE SET
         score = excluded.score, earned_points = excluded.earned_points, max_points = excluded.max_points,
         rank = excluded.rank, position = excluded.position`,
      [cycleId, ...Array.from({ length: 7 }, (_, i) => column(domains, i))],
    );
  }
}

/** A new version token for the cycle's results: whoever remembered the previous one no longer trusts its memory. */
export async function bumpVersion(tx: EntityManager, cycleId: number): Promise<string> {
  const [next]: { version: string }[] = await tx.query(
    `INSERT INTO result_state (cycle_id, version, written_at) VALUES ($1, gen_random_uuid(), now())
     ON CONFLICT (cycle_id) DO UPDATE SET version = excluded.version, written_at = excluded.written_at
     RETURNING version::text`,
    [cycleId],
  );
  return next.version;
}

/** The lock every writer of a cycle's results holds until it commits (in every process). */
export async function lockResults(tx: EntityManager, cycleId: number): Promise<string | null> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', ['index_result', cycleId]);
  const [state]: { version: string }[] = await tx.query('SELECT version::text FROM result_state WHERE cycle_id = $1', [cycleId]);
  return state?.version ?? null;
}
