import { graphql, vietnamYear } from '../shared/graphql';
import type { UnitKind } from './i18n';

/** The portal's reads: anonymous GraphQL, published years only (the service hides the rest). */

export const KINDS: UnitKind[] = ['DEPARTMENT', 'DISTRICT', 'COMMUNE'];
/** How many years back the portal looks for published rankings. */
const YEARS_BACK = 8;

export interface Band { code: string; label: string; minScore: number }
export interface Domain { code: string; name: string; maxPoints: number }
export interface Cycle { year: number; unitKind: UnitKind; status: string; domains: Domain[]; bands: Band[] }

/** The published years of each kind, newest first. */
export async function publishedYears(now = new Date()): Promise<Record<UnitKind, number[]>> {
  const last = vietnamYear(now);
  const fields: string[] = [];
  for (const kind of KINDS) {
    for (let y = last; y > last - YEARS_BACK; y--) fields.push(`${kind}_${y}: cycle(year: ${y}, unitKind: ${kind}) { status }`);
  }
  const data = await graphql<Record<string, { status: string } | null>>(`query PublishedYears { ${fields.join(' ')} }`);
  const out = { DEPARTMENT: [], DISTRICT: [], COMMUNE: [] } as Record<UnitKind, number[]>;
  for (const [key, cycle] of Object.entries(data)) {
    const [kind, year] = key.split('_') as [UnitKind, string];
    if (cycle?.status === 'PUBLISHED') out[kind].push(Number(year));
  }
  for (const kind of KINDS) out[kind].sort((a, b) => b - a);
  return out;
}

export interface RankingRow {
  rank: number;
  score: number;
  node: {
    unit: { code: string; name: string };
    /** The unit's name in the ranking's year (a renamed or merged unit shows the name it had then). */
    unitName: string;
    score: number;
    rankChange: number | null;
    previousRank: number | null;
    band: Band | null;
    surveyInsufficient: boolean;
  };
}

export interface Ranking {
  totalCount: number;
  summary: { count: number; average: number | null; bands: { band: Band; count: number }[] };
  rows: RankingRow[];
}

const RANKING = `query Ranking($year: Int!, $kind: UnitKind!, $domain: String, $parent: String, $after: String) {
  rankings(year: $year, unitKind: $kind, domainCode: $domain, parentCode: $parent, first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    summary { count average bands { band { code label minScore } count } }
    edges { rank score node { unit { code name } unitName score rankChange previousRank band { code label minScore } surveyInsufficient } }
  }
}`;

/** A whole ranking, page after page (100 a page). */
export async function ranking(year: number, kind: UnitKind, domain?: string, parent?: string): Promise<Ranking> {
  const rows: RankingRow[] = [];
  let after: string | null = null;
  let first: Omit<Ranking, 'rows'> | undefined;
  for (let page = 0; page < 100; page++) {
    type Page = { rankings: Omit<Ranking, 'rows'> & { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: RankingRow[] } };
    const data: Page = await graphql<Page>(RANKING, { year, kind, domain: domain ?? null, parent: parent ?? null, after });
    first ??= { totalCount: data.rankings.totalCount, summary: data.rankings.summary };
    rows.push(...data.rankings.edges);
    if (!data.rankings.pageInfo.hasNextPage) break;
    after = data.rankings.pageInfo.endCursor;
  }
  return { ...first!, rows };
}

export async function cycle(year: number, kind: UnitKind): Promise<Cycle | null> {
  const data = await graphql<{ cycle: Cycle | null }>(`query Cycle($year: Int!, $kind: UnitKind!) {
    cycle(year: $year, unitKind: $kind) { year unitKind status domains { code name maxPoints } bands { code label minScore } } }`, { year, kind });
  return data.cycle;
}

/** The districts of a year: none from 2025, when communes sit directly under the province (two tiers). */
export async function districts(year: number): Promise<{ code: string; name: string }[]> {
  const data = await graphql<{ units: { edges: { node: { code: string; name: string } }[] } }>(
    `query Districts($year: Int) { units(kind: DISTRICT, year: $year, first: 100) { edges { node { code name } } } }`, { year });
  return data.units.edges.map((e) => e.node);
}

export interface UnitResult {
  year: number;
  score: number;
  rank: number;
  rankChange: number | null;
  previousRank: number | null;
  expertScore: number | null;
  surveyScore: number | null;
  responses: number;
  surveyInsufficient: boolean;
  band: Band | null;
  domains: { code: string; name: string; score: number; earnedPoints: number; maxPoints: number; rank: number }[];
}

export interface UnitPage {
  unit: { code: string; name: string; kind: UnitKind; parent: { code: string; name: string } | null; results: UnitResult[] } | null;
}

export async function unitPage(code: string): Promise<UnitPage> {
  return graphql<UnitPage>(`query Unit($code: String!) { unit(code: $code) { code name kind parent { code name }
    results { year score rank rankChange previousRank expertScore surveyScore responses surveyInsufficient
      band { code label minScore } domains { code name score earnedPoints maxPoints rank } } } }`, { code });
}

export interface YearContext {
  averages: { year: number; average: number | null; count: number }[];
  satisfaction: { key: string; responses: number; answers: number; rate: number }[];
  bands: Band[];
}

/** For a unit's page: its kind's average each year, its satisfaction by month in `year`, the year's bands. */
export async function unitContext(code: string, kind: UnitKind, years: number[], year: number): Promise<YearContext> {
  const avg = years.map((y) => `a${y}: rankings(year: ${y}, unitKind: ${kind}, first: 1) { summary { average count } }`).join(' ');
  const data = await graphql<Record<string, any>>(`query UnitContext($code: String!, $year: Int!, $kind: UnitKind!) {
    ${avg}
    satisfaction(year: $year, unitCode: $code, groupBy: MONTH) { key responses answers rate }
    cycle(year: $year, unitKind: $kind) { bands { code label minScore } } }`, { code, year, kind });
  return {
    averages: years.map((y) => ({ year: y, average: data[`a${y}`].summary.average, count: data[`a${y}`].summary.count })),
    satisfaction: data.satisfaction,
    bands: data.cycle?.bands ?? [],
  };
}

export interface KindSummary {
  kind: UnitKind;
  count: number;
  average: number | null;
  highest: { score: number; unit: { code: string; name: string } } | null;
  lowest: { score: number; unit: { code: string; name: string } } | null;
  bands: { band: Band; count: number }[];
}

export async function provinceSummary(year: number): Promise<KindSummary[]> {
  const fields = KINDS.map((k) => `${k}: rankings(year: $year, unitKind: ${k}, first: 1) { summary { count average
    highest { score unit { code name } } lowest { score unit { code name } } bands { band { code label minScore } count } } }`).join(' ');
  const data = await graphql<Record<UnitKind, { summary: Omit<KindSummary, 'kind'> }>>(`query Province($year: Int!) { ${fields} }`, { year });
  return KINDS.map((kind) => ({ kind, ...data[kind].summary }));
}
