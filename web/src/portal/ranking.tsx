import { useEffect, useMemo, useState } from 'preact/hooks';
import { count, matches, score } from '../shared/format';
import { type Band, type Cycle, cycle as loadCycle, districts as loadDistricts, KINDS, ranking as loadRanking, type Ranking } from './api';
import { Failed, Link, Loading, type PageProps } from './app';
import type { Words } from './i18n';

/** The band's colour class: its place among the year's bands, best first. */
export function bandTone(band: Band | null | undefined, bands: Band[]): number {
  if (!band) return -1;
  const sorted = [...bands].sort((a, b) => b.minScore - a.minScore);
  const i = sorted.findIndex((b) => b.code === band.code);
  return i < 0 ? 4 : Math.min(i, 4);
}

export function BandLabel({ band, bands }: { band: Band | null; bands: Band[] }) {
  if (!band) return <span class="band band-none">–</span>;
  return <span class={`band band-${bandTone(band, bands)}`}>{band.label}</span>;
}

export function RankChange({ change, t }: { change: number | null; t: Words }) {
  if (change === null) return <span class="change none" title={t.noChange}><span aria-hidden="true">–</span><span class="sr">{t.noChange}</span></span>;
  if (change === 0) return <span class="change same"><span aria-hidden="true">=</span><span class="sr">{t.same}</span></span>;
  const up = change > 0;
  return (
    <span class={`change ${up ? 'up' : 'down'}`}>
      <span aria-hidden="true">{up ? '▲' : '▼'} {Math.abs(change)}</span>
      <span class="sr">{up ? t.up(change) : t.down(-change)}</span>
    </span>
  );
}

export function RankingPage({ route, t, years, go }: PageProps) {
  const kinds = KINDS.filter((k) => years[k].length > 0);
  const kind = route.kind && years[route.kind].length > 0 ? route.kind : kinds[0];
  const kindYears = kind ? years[kind] : [];
  const year = route.year && kindYears.includes(route.year) ? route.year : kindYears[0];
  // Districts exist up to 2024: from 2025 a commune ranking covers the whole province, with no district filter.
  const district = kind === 'COMMUNE' && year !== undefined && year <= 2024 ? route.district : undefined;

  const [data, setData] = useState<{ ranking: Ranking; cycle: Cycle | null } | null>(null);
  const [failed, setFailed] = useState(false);
  const [districtList, setDistrictList] = useState<{ year: number; list: { code: string; name: string }[] }>({ year: 0, list: [] });
  const [attempt, setAttempt] = useState(0);
  const domain = data?.cycle?.domains.some((d) => d.code === route.domain) ? route.domain : undefined;

  useEffect(() => {
    if (!kind || !year) return;
    let live = true;
    setFailed(false);
    setData(null);
    Promise.all([loadRanking(year, kind, route.domain, district), loadCycle(year, kind)])
      .then(([ranking, cycle]) => live && setData({ ranking, cycle }), () => live && setFailed(true));
    return () => { live = false; };
  }, [kind, year, route.domain, district, attempt]);
  useEffect(() => {
    if (kind === 'COMMUNE' && year && districtList.year !== year) loadDistricts(year).then((list) => setDistrictList({ year, list }), () => undefined);
  }, [kind, year]);
  useEffect(() => {
    if (kind && year) document.title = `${t.rankingTitle(t.kinds[kind], year)} · ${t.siteShort}`;
  }, [kind, year, t]);

  const rows = useMemo(() => (data?.ranking.rows ?? []).filter((r) => !route.q || matches(r.node.unitName, route.q)), [data, route.q]);
  if (!kind || !year) return <p class="status">{t.nothingPublished}</p>;
  const set = (patch: Partial<typeof route>, replace = false) => go({ ...route, view: 'ranking', kind, year, ...patch }, replace);
  const bands = data?.cycle?.bands ?? [];
  const domainInfo = data?.cycle?.domains.find((d) => d.code === domain);
  // Rank changes are the overall ranking's, and only when the year before was published too.
  const changes = !domain && (data?.ranking.rows ?? []).some((r) => r.node.rankChange !== null);

  return (
    <section aria-labelledby="title">
      <h1 id="title">{t.rankingTitle(t.kinds[kind], year)}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <div class="field"><label for="f-kind">{t.kind}</label>
          <select id="f-kind" value={kind} onChange={(e) => set({ kind: e.currentTarget.value as typeof kind, year: undefined, domain: undefined, district: undefined })}>
            {kinds.map((k) => <option value={k}>{t.kinds[k]}</option>)}
          </select>
        </div>
        <div class="field"><label for="f-year">{t.year}</label>
          <select id="f-year" value={year} onChange={(e) => set({ year: Number(e.currentTarget.value) })}>
            {kindYears.map((y) => <option value={y}>{y}</option>)}
          </select>
        </div>
        <div class="field"><label for="f-domain">{t.domain}</label>
          <select id="f-domain" value={domain ?? ''} onChange={(e) => set({ domain: e.currentTarget.value || undefined })}>
            <option value="">{t.overall}</option>
            {(data?.cycle?.domains ?? []).map((d) => <option value={d.code}>{d.code} · {d.name}</option>)}
          </select>
        </div>
        {kind === 'COMMUNE' && year <= 2024 ? (
          <div class="field"><label for="f-district">{t.district}</label>
          <select id="f-district" value={district ?? ''} onChange={(e) => set({ district: e.currentTarget.value || undefined })}>
              <option value="">{t.allDistricts}</option>
              {(districtList.year === year ? districtList.list : []).map((d) => <option value={d.code}>{d.name}</option>)}
            </select>
          </div>
        ) : null}
        <div class="field search"><label for="f-search">{t.search}</label>
          <input id="f-search" type="search" value={route.q ?? ''} placeholder={t.searchHint} autocomplete="off"
            onInput={(e) => set({ q: e.currentTarget.value || undefined }, true)} />
        </div>
      </form>

      {failed ? <Failed t={t} retry={() => setAttempt((n) => n + 1)} />
        : !data ? <Loading t={t} />
        : (
          <>
            <div class="summary" aria-label={t.average}>
              <span class="figure"><strong data-testid="count">{count(data.ranking.summary.count)}</strong> {t.unitsWord}</span>
              <span class="figure">{t.average} <strong data-testid="average">{score(data.ranking.summary.average)}</strong></span>
              {!domain && (
                <span class="chips">
                  {data.ranking.summary.bands.map((b) => (
                    <span class={`chip band-${bandTone(b.band, bands)}`}>{b.band.label}: <strong>{count(b.count)}</strong></span>
                  ))}
                </span>
              )}
            </div>
            {route.q && <p class="shown" role="status">{t.shown(count(rows.length), count(data.ranking.rows.length))}</p>}
            <div class="table-wrap">
              <table class="ranking">
                <caption class="sr">{t.rankingTitle(t.kinds[kind], year)}{domainInfo ? ` · ${domainInfo.name}` : ''}</caption>
                <thead>
                  <tr>
                    <th scope="col" class="num">{t.rank}</th>
                    <th scope="col">{t.unit}</th>
                    <th scope="col" class="num">{domain ? t.domainIndex : t.index}</th>
                    <th scope="col">{t.band}</th>
                    {changes && <th scope="col" class="change-col">{t.change}</th>}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr data-code={r.node.unit.code}>
                      <td class="num rank">{r.rank}</td>
                      <td class="name">
                        <Link to={{ view: 'unit', unit: r.node.unit.code, year, lang: route.lang }} go={go}>{r.node.unitName}</Link>
                        {r.node.surveyInsufficient && <span class="note">{t.surveyInsufficient}</span>}
                      </td>
                      <td class="num score">{score(r.score)}</td>
                      <td><BandLabel band={r.node.band} bands={bands} /></td>
                      {changes && <td class="change-col"><RankChange change={r.node.rankChange} t={t} /></td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {rows.length === 0 && <p class="status">{t.noMatch}</p>}
          </>
        )}
    </section>
  );
}
