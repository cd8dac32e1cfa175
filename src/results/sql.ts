/*
 * The one home of how a published figure is written in SQL. The index method
 * (src/scoring) keeps figures exact and rounds each published one half-up to
 * two decimals, once, at the end (roundHalfUp2 in src/scoring/decimal.ts);
 * SQL that publishes a stored exact figure (earned and maximum points are
 * stored unrounded) or aggregates published ones goes through these, so the
 * rule is written once. Each returns SQL text to put in a statement; the
 * text is the same as the hand-written one it replaces, so statements keep
 * their names and plans.
 */

/**
 * `expr` (a numeric) as published: rounded half-up to two decimals.
 * PostgreSQL's round(numeric, 2) rounds half away from zero, the method's
 * rule (92.625 → 92.63, −0.005 → −0.01). Not for float8: there is no
 * round(float8, int), and a binary float has no exact halves.
 *   published2('ir.earned_points') → 'round(ir.earned_points, 2)'
 */
export function published2(expr: string): string {
  return `round(${expr}, 2)`;
}

/**
 * The average of published figures, published once more: the average of the
 * rounded `expr` over the group, rounded half-up to two decimals (summarize's
 * rule in src/scoring/ranking.ts; NULLs are left out, as there).
 */
export function publishedAverage(expr: string): string {
  return published2(`avg(${published2(expr)})`);
}

/**
 * A published numeric as the JSON number graphql-js writes for a Float: the
 * same digits without trailing zeros (72.7 for 72.70, 100 for 100.00). Cheaper
 * than a cast to float8, and exact.
 */
export function asJsonNumber(numeric: string): string {
  return `trim_scale(${numeric})`;
}
