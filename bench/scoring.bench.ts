/**
 * `npx ts-node --transpile-only bench/scoring.bench.ts`: times the index
 * method (src/scoring computeUnitResult: the method's phases on the CENTS
 * kernel) on a national-scale year, in process, without a database, and
 * checks it against computeUnitResultExact (the same phases on the RATIONAL
 * kernel, BigInt fractions: the CENTS kernel's fallback), field by field.
 * Not a test.
 *
 * The year: 12,000 units, an 8-domain framework of 47 leaves (42 EXPERT
 * leaves worth 68 points with one appraisal panelist each, 5 SURVEY leaves
 * worth 32), deterministic pseudo-random points and survey tallies.
 *
 * BENCH_UNITS, BENCH_RUNS and BENCH_REFERENCE_UNITS change the sizes.
 */
import type Decimal from 'decimal.js';

import {
  type Adjustment,
  computeUnitResult,
  DEFAULT_BANDS,
  type FrameworkSpec,
  type PanelScore,
  prepareFramework,
  type Round,
  type SurveyTally,
  type UnitInput,
  type UnitOutcome,
} from '../src/scoring';
import { computeUnitResultExact as referenceComputeUnitResult } from '../src/scoring/exact-method';

const UNITS = Number(process.env.BENCH_UNITS ?? 12000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REFERENCE_UNITS = Number(process.env.BENCH_REFERENCE_UNITS ?? 2000);
const SAMPLE = 500;

/** mulberry32: a small deterministic generator. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOMAINS = [
  ['CDDH', 'Công tác chỉ đạo, điều hành CCHC'],
  ['CCTC', 'Cải cách thể chế'],
  ['TTHC', 'Cải cách thủ tục hành chính'],
  ['TCBM', 'Cải cách tổ chức bộ máy hành chính nhà nước'],
  ['CDCV', 'Cải cách chế độ công vụ'],
  ['TCC', 'Cải cách tài chính công'],
  ['CQS', 'Xây dựng và phát triển chính quyền điện tử, chính quyền số'],
  ['TD', 'Tác động của CCHC đến người dân, tổ chức và phát triển KT-XH'],
] as const;

/** 42 EXPERT leaves worth 68 points over the 8 domains; 5 SURVEY leaves worth 32 in TTHC and TD. */
function buildFramework(overrides: Partial<FrameworkSpec> = {}): FrameworkSpec {
  const leaves: FrameworkSpec['leaves'] = [];
  const expertPerDomain = [5, 5, 6, 5, 6, 5, 6, 4]; // 42
  // 68 points: 42 leaves of 1.5 = 63, plus 5 leaves of 2.5 (1 extra each) = 68
  let e = 0;
  DOMAINS.forEach(([code], di) => {
    for (let k = 0; k < expertPerDomain[di]; k++, e++) {
      leaves.push({
        id: `E${e + 1}`,
        code: `LV${di + 1}.${k + 1}`,
        domainCode: code,
        maxPoints: e < 5 ? '2.50' : '1.50',
        source: 'EXPERT',
      });
    }
  });
  const surveys: [string, string][] = [
    ['TTHC', '6.40'],
    ['TTHC', '6.40'],
    ['TD', '6.40'],
    ['TD', '6.40'],
    ['TD', '6.40'],
  ];
  surveys.forEach(([domainCode, max], k) => {
    leaves.push({ id: `S${k + 1}`, code: `KS${k + 1}`, domainCode, maxPoints: max, source: 'SURVEY' });
  });
  return {
    domains: DOMAINS.map(([code, name]) => ({ code, name })),
    leaves,
    aggregation: 'MEAN',
    minResponses: 30,
    maxBonus: '0',
    maxPenalty: '0',
    bands: DEFAULT_BANDS,
    ...overrides,
  };
}

const cents = (rand: () => number, maxCents: number): string => {
  const c = Math.floor(rand() * (maxCents + 1));
  return (c / 100).toFixed(rand() < 0.5 ? 2 : c % 10 === 0 ? 1 : 2);
};

/** The shape of the brief: one appraisal panelist per EXPERT leaf, pg-style strings. */
function plainUnit(framework: FrameworkSpec, rand: () => number): UnitInput {
  const panelScores: PanelScore[] = [];
  const surveyTallies: SurveyTally[] = [];
  for (const leaf of framework.leaves) {
    const maxCents = Math.round(Number(leaf.maxPoints) * 100);
    if (leaf.source === 'EXPERT') {
      const r = rand();
      if (r < 0.01) continue; // missing
      if (r < 0.02) {
        panelScores.push({ leafId: leaf.id, round: 'APPRAISAL', panelist: 'HD', points: null, notApplicable: true });
        continue;
      }
      panelScores.push({ leafId: leaf.id, round: 'APPRAISAL', panelist: 'HD', points: cents(rand, maxCents), notApplicable: false });
    } else {
      const responses = Math.floor(rand() * 80);
      const answers = responses * (1 + Math.floor(rand() * 3));
      surveyTallies.push({ leafId: leaf.id, responses, answers, satisfied: Math.floor(rand() * (answers + 1)) });
    }
  }
  return { panelScores, adjustments: [], surveyTallies };
}

const ROUNDS: Round[] = ['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'];

/** A varied unit for the cross-check: rounds, several panelists, not applicable, numbers, adjustments. */
function variedUnit(framework: FrameworkSpec, rand: () => number): UnitInput {
  const panelScores: PanelScore[] = [];
  const surveyTallies: SurveyTally[] = [];
  const adjustments: Adjustment[] = [];
  for (const leaf of framework.leaves) {
    const maxCents = Math.round(Number(leaf.maxPoints) * 100);
    if (leaf.source === 'EXPERT') {
      for (const round of ROUNDS) {
        if (rand() < 0.5) continue;
        const panelists = 1 + Math.floor(rand() * 4);
        for (let p = 0; p < panelists; p++) {
          const r = rand();
          const text = cents(rand, maxCents);
          panelScores.push({
            leafId: leaf.id,
            round,
            panelist: `P${p}`,
            points: r < 0.1 ? null : r < 0.2 ? Number(text) : r < 0.25 ? ` ${text} ` : text,
            notApplicable: r < 0.05 || (r > 0.95 && rand() < 0.5),
          });
        }
      }
    } else if (rand() < 0.9) {
      const responses = Math.floor(rand() * 5000);
      const answers = responses * (1 + Math.floor(rand() * 7));
      surveyTallies.push({ leafId: leaf.id, responses, answers, satisfied: Math.floor(rand() * (answers + 1)) });
    }
  }
  if (rand() < 0.5) {
    for (const round of ROUNDS) {
      if (rand() < 0.5) continue;
      for (let p = 0; p < 1 + Math.floor(rand() * 3); p++) {
        adjustments.push({
          round,
          panelist: `P${p}`,
          bonus: rand() < 0.3 ? null : cents(rand, 300),
          penalty: rand() < 0.3 ? null : cents(rand, 800),
        });
      }
    }
  }
  return { panelScores, adjustments, surveyTallies };
}

const decimalKey = (d: Decimal | null): string =>
  d === null ? 'null' : `${d.toString()}|${JSON.stringify({ s: d.s, e: d.e, d: (d as unknown as { d: number[] }).d })}`;

/** Differences between two outcomes, field by field ('' when equal). */
function differences(a: UnitOutcome, b: UnitOutcome): string[] {
  const out: string[] = [];
  const dec = (what: string, x: Decimal | null, y: Decimal | null) => {
    if (decimalKey(x) !== decimalKey(y)) out.push(`${what}: ${decimalKey(x)} ≠ ${decimalKey(y)}`);
  };
  const same = (what: string, x: unknown, y: unknown) => {
    if (x !== y) out.push(`${what}: ${String(x)} ≠ ${String(y)}`);
  };
  dec('earned', a.earned, b.earned);
  dec('max', a.max, b.max);
  dec('score', a.score, b.score);
  dec('expertScore', a.expertScore, b.expertScore);
  dec('surveyScore', a.surveyScore, b.surveyScore);
  dec('bonus', a.bonus, b.bonus);
  dec('penalty', a.penalty, b.penalty);
  same('band', a.band, b.band);
  same('provisional', a.provisional, b.provisional);
  same('surveyInsufficient', a.surveyInsufficient, b.surveyInsufficient);
  same('domains.length', a.domains.length, b.domains.length);
  a.domains.forEach((d, i) => {
    const e = b.domains[i];
    same(`domains[${i}].code`, d.code, e.code);
    same(`domains[${i}].name`, d.name, e.name);
    dec(`domains[${i}].earned`, d.earned, e.earned);
    dec(`domains[${i}].max`, d.max, e.max);
    dec(`domains[${i}].score`, d.score, e.score);
  });
  same('leaves.length', a.leaves.length, b.leaves.length);
  a.leaves.forEach((l, i) => {
    const m = b.leaves[i];
    for (const key of ['leafId', 'code', 'source', 'status', 'applicable', 'round'] as const) {
      same(`leaves[${i}].${key}`, l[key], m[key]);
    }
    dec(`leaves[${i}].earned`, l.earned, m.earned);
    dec(`leaves[${i}].max`, l.max, m.max);
  });
  same('keys', Object.keys(a).join(), Object.keys(b).join());
  same('leaf keys', Object.keys(a.leaves[0] ?? {}).join(), Object.keys(b.leaves[0] ?? {}).join());
  return out;
}

function outcomeOrError(f: () => UnitOutcome): UnitOutcome | string {
  try {
    return f();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

function crossCheck(label: string, framework: FrameworkSpec, inputs: UnitInput[]): number {
  let failures = 0;
  inputs.forEach((input, i) => {
    const fast = outcomeOrError(() => computeUnitResult(framework, input));
    const slow = outcomeOrError(() => referenceComputeUnitResult(framework, input));
    let diff: string[];
    if (typeof fast === 'string' || typeof slow === 'string') diff = fast === slow ? [] : [`${String(fast)} ≠ ${String(slow)}`];
    else diff = differences(fast, slow);
    if (diff.length > 0) {
      failures++;
      if (failures <= 5) console.log(`  MISMATCH ${label} #${i}:\n    ${diff.slice(0, 5).join('\n    ')}`);
    }
  });
  console.log(`cross-check ${label}: ${inputs.length - failures}/${inputs.length} units identical`);
  return failures;
}

function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function main(): void {
  const framework = buildFramework();
  const rand = generator(20240101);
  const inputs = Array.from({ length: UNITS }, () => plainUnit(framework, rand));

  // Correctness first: the CENTS kernel against the RATIONAL one.
  let failures = crossCheck('brief shape (500)', framework, inputs.slice(0, SAMPLE));
  const variedRand = generator(7);
  const variedFramework = buildFramework({ maxBonus: '2', maxPenalty: '5.5', minResponses: 100 });
  failures += crossCheck('varied MEAN (500)', variedFramework, Array.from({ length: SAMPLE }, () => variedUnit(variedFramework, variedRand)));
  const medianFramework = buildFramework({ aggregation: 'MEDIAN', maxBonus: '1.25', maxPenalty: '3' });
  failures += crossCheck('varied MEDIAN (500)', medianFramework, Array.from({ length: SAMPLE }, () => variedUnit(medianFramework, variedRand)));
  const invalid: UnitInput[] = ['-0', '1e2', ' 3', '3.', '.5', '7.505', '-1', 'abc', '', '0x1', '1.50', '99'].map((points) => ({
    panelScores: [{ leafId: 'E10', round: 'APPRAISAL', panelist: 'HD', points, notApplicable: false }],
    adjustments: [],
    surveyTallies: [],
  }));
  failures += crossCheck('odd points', framework, invalid);

  // Speed: the RATIONAL kernel on a part of the year, the CENTS one on all of it.
  const referenceInputs = inputs.slice(0, Math.min(REFERENCE_UNITS, UNITS));
  referenceInputs.slice(0, 200).forEach((input) => referenceComputeUnitResult(framework, input)); // warm up
  const oldMs = time(() => referenceInputs.forEach((input) => referenceComputeUnitResult(framework, input)));
  const oldPerUnit = (oldMs * 1000) / referenceInputs.length;
  console.log(
    `exact (RATIONAL kernel): ${oldPerUnit.toFixed(1)} µs per unit (${referenceInputs.length} units in ${oldMs.toFixed(0)} ms; ` +
      `${((oldPerUnit * UNITS) / 1000).toFixed(0)} ms for ${UNITS})`,
  );

  const report = (label: string, run: () => void) => {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) times.push(time(run));
    times.sort((a, b) => a - b);
    const best = times[0];
    const median = times[Math.floor(times.length / 2)];
    console.log(
      `${label}: ${((best * 1000) / UNITS).toFixed(1)} µs per unit best, ${((median * 1000) / UNITS).toFixed(1)} median; ` +
        `${best.toFixed(0)} ms best, ${median.toFixed(0)} ms median for ${UNITS} units (${(oldPerUnit / ((median * 1000) / UNITS)).toFixed(0)}× faster)`,
    );
  };
  report('computeUnitResult (same FrameworkSpec object)', () => {
    for (const input of inputs) computeUnitResult(framework, input);
  });
  const prepared = prepareFramework(framework);
  report('computeUnitResult (prepareFramework)', () => {
    for (const input of inputs) computeUnitResult(prepared, input);
  });
  // What the index engine reads of each outcome before writing it.
  let sink = 0;
  report('computeUnitResult + reading published figures as strings', () => {
    for (const input of inputs) {
      const o = computeUnitResult(framework, input);
      sink += o.earned.toString().length + o.max.toString().length + (o.score?.toFixed(2).length ?? 0);
      for (const d of o.domains) sink += d.earned.toString().length + d.max.toString().length + (d.score?.toFixed(2).length ?? 0);
    }
  });
  if (sink === 0) console.log('');
  if (failures > 0) {
    console.log(`${failures} MISMATCHES`);
    process.exitCode = 1;
  }
}

main();
