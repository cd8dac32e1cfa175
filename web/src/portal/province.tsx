import { useEffect, useState } from 'preact/hooks';
import { count, score } from '../shared/format';
import { KINDS, type KindSummary, provinceSummary } from './api';
import { Failed, Link, Loading, type PageProps } from './app';
import { ChartView, TONES } from './chart';
import { bandTone } from './ranking';

/** The province at a glance: per level of government, the units in each band, the average, the first and the last. */
export function ProvincePage({ route, t, years, go }: PageProps) {
  const all = [...new Set(KINDS.flatMap((k) => years[k]))].sort((a, b) => b - a);
  const year = route.year && all.includes(route.year) ? route.year : all[0];
  const [data, setData] = useState<KindSummary[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!year) return;
    let live = true;
    setFailed(false);
    setData(null);
    provinceSummary(year).then((d) => live && setData(d), () => live && setFailed(true));
    return () => { live = false; };
  }, [year, attempt]);
  useEffect(() => {
    if (year) document.title = `${t.provinceTitle(year)} · ${t.siteShort}`;
  }, [year, t]);

  if (!year) return <p class="status">{t.nothingPublished}</p>;
  return (
    <section aria-labelledby="title">
      <h1 id="title">{t.provinceTitle(year)}</h1>
      <div class="filters">
        <div class="field"><label for="f-year">{t.year}</label>
          <select id="f-year" value={year} onChange={(e) => go({ ...route, year: Number(e.currentTarget.value) }, true)}>
            {all.map((y) => <option value={y}>{y}</option>)}
          </select>
        </div>
      </div>
      {failed ? <Failed t={t} retry={() => setAttempt((n) => n + 1)} /> : !data ? <Loading t={t} /> : (
        <div class="two">
          {data.filter((k) => years[k.kind].includes(year)).map((k) => {
            const bands = k.bands.map((b) => b.band);
            return (
              <section class="panel" aria-labelledby={`kind-${k.kind}`} data-kind={k.kind}>
                <h2 id={`kind-${k.kind}`}>{t.kinds[k.kind]}</h2>
                <dl class="cards small">
                  <div class="card"><dt>{t.bandCount}</dt><dd>{count(k.count)}</dd></div>
                  <div class="card"><dt>{t.average}</dt><dd>{score(k.average)}</dd></div>
                  {k.highest && <div class="card wide"><dt>{t.highest}</dt><dd><Link to={{ view: 'unit', unit: k.highest.unit.code, year, lang: route.lang }} go={go}>{k.highest.unit.name}</Link> · {score(k.highest.score)}</dd></div>}
                  {k.lowest && <div class="card wide"><dt>{t.lowest}</dt><dd><Link to={{ view: 'unit', unit: k.lowest.unit.code, year, lang: route.lang }} go={go}>{k.lowest.unit.name}</Link> · {score(k.lowest.score)}</dd></div>}
                </dl>
                <ChartView label={t.bandsChart(t.kinds[k.kind], year)} height={220} config={{
                  type: 'bar',
                  data: {
                    labels: k.bands.map((b) => b.band.label),
                    datasets: [{ label: t.bandCount, data: k.bands.map((b) => b.count), backgroundColor: k.bands.map((b) => TONES[bandTone(b.band, bands)]), borderRadius: 3 }],
                  },
                  options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
                }} />
                <details>
                  <summary>{t.showData}</summary>
                  <table data-testid={`bands-${k.kind}`}>
                    <thead><tr><th scope="col">{t.band}</th><th scope="col" class="num">{t.bandCount}</th></tr></thead>
                    <tbody>{k.bands.map((b) => <tr><td>{b.band.label}</td><td class="num">{count(b.count)}</td></tr>)}</tbody>
                  </table>
                </details>
              </section>
            );
          })}
        </div>
      )}
    </section>
  );
}
