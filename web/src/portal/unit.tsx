import { useEffect, useState } from 'preact/hooks';
import { count, percent, score } from '../shared/format';
import { unitContext, unitPage, type UnitPage, type YearContext } from './api';
import { Failed, Link, Loading, type PageProps } from './app';
import { ACCENT, ChartView, MUTED, TONES } from './chart';
import { BandLabel, bandTone, RankChange } from './ranking';

/** A domain on a chart's axis: its code and the start of its name. */
const domainLabel = (code: string, name: string) => `${code} · ${name.length > 30 ? `${name.slice(0, 29).trimEnd()}…` : name}`;

/** "2025-03" → "03/2025", the way a Vietnamese reader writes a month. */
const monthLabel = (key: string) => `${key.slice(5, 7)}/${key.slice(0, 4)}`;

export function UnitPageView({ route, t, years, go }: PageProps) {
  const [page, setPage] = useState<UnitPage | null>(null);
  const [context, setContext] = useState<YearContext | null>(null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const unit = page?.unit;
  const results = unit?.results ?? [];
  const result = results.find((r) => r.year === route.year) ?? results[0];

  useEffect(() => {
    let live = true;
    setFailed(false);
    setPage(null);
    unitPage(route.unit!).then((p) => live && setPage(p), () => live && setFailed(true));
    return () => { live = false; };
  }, [route.unit, attempt]);
  useEffect(() => {
    if (!unit || !result) return;
    let live = true;
    setContext(null);
    const withResult = [...new Set([...results.map((r) => r.year), ...years[unit.kind]])].sort((a, b) => a - b);
    unitContext(unit.code, unit.kind, withResult, result.year).then((c) => live && setContext(c), () => live && setFailed(true));
    return () => { live = false; };
  }, [unit, result?.year]);
  useEffect(() => {
    if (unit) document.title = `${unit.name} · ${t.siteShort}`;
  }, [unit, t]);

  const back = { view: 'ranking' as const, lang: route.lang, kind: unit?.kind, year: result?.year };
  if (failed) return <Failed t={t} retry={() => setAttempt((n) => n + 1)} />;
  if (!page) return <Loading t={t} />;
  if (!unit) return <><p class="status">{t.unitNotFound}</p><Link to={{ view: 'ranking', lang: route.lang }} go={go}>{t.back}</Link></>;

  const bands = context?.bands ?? [];
  const history = context?.averages.filter((a) => a.count > 0 || results.some((r) => r.year === a.year)) ?? [];
  return (
    <article aria-labelledby="title" class="unit">
      <p class="crumb"><Link to={back} go={go}>{t.back}</Link></p>
      <h1 id="title">{unit.name}</h1>
      <p class="lede">{t.kindOne[unit.kind]}{unit.parent ? ` · ${unit.parent.name}` : ''}</p>
      {!result ? <p class="status">{t.noResult}</p> : (
        <>
          {results.length > 1 && (
            <div class="filters">
              <div class="field"><label for="f-year">{t.year}</label>
          <select id="f-year" value={result.year} onChange={(e) => go({ ...route, year: Number(e.currentTarget.value) }, true)}>
                  {results.map((r) => <option value={r.year}>{r.year}</option>)}
                </select>
              </div>
            </div>
          )}
          <dl class="cards">
            <div class="card main"><dt>{t.index} {result.year}</dt><dd data-testid="unit-score">{score(result.score)}</dd></div>
            <div class="card"><dt>{t.rank}</dt><dd>{result.rank}</dd></div>
            <div class="card"><dt>{t.band}</dt><dd><BandLabel band={result.band} bands={bands} /></dd></div>
            <div class="card"><dt>{t.change}</dt><dd><RankChange change={result.rankChange} t={t} /></dd></div>
            <div class="card"><dt>{t.expert}</dt><dd>{score(result.expertScore)}</dd></div>
            <div class="card"><dt>{t.survey}</dt><dd>{result.surveyInsufficient ? <span class="note">{t.surveyInsufficient}</span> : score(result.surveyScore)}</dd></div>
            <div class="card"><dt>{t.responses}</dt><dd>{count(result.responses)}</dd></div>
          </dl>

          <section aria-labelledby="domains-title" class="panel">
            <h2 id="domains-title">{t.domainsTitle}</h2>
            <ChartView label={t.domainsChart(result.year)} height={Math.max(220, result.domains.length * 34 + 40)} config={{
              type: 'bar',
              data: {
                labels: result.domains.map((d) => domainLabel(d.code, d.name)),
                datasets: [{ label: t.index, data: result.domains.map((d) => d.score), backgroundColor: TONES[Math.max(0, bandTone(result.band, bands))], borderRadius: 3 }],
              },
              options: {
                indexAxis: 'y',
                scales: { x: { min: 0, max: 100 }, y: { grid: { display: false } } },
                plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => result.domains[items[0].dataIndex].name } } },
              },
            }} />
            <details>
              <summary>{t.showData}</summary>
              <div class="table-wrap">
                <table data-testid="domains">
                  <thead><tr><th scope="col">{t.domain}</th><th scope="col" class="num">{t.index}</th><th scope="col" class="num">{t.points}</th><th scope="col" class="num">{t.rank}</th></tr></thead>
                  <tbody>
                    {result.domains.map((d) => (
                      <tr data-code={d.code}><td>{d.code} · {d.name}</td><td class="num">{score(d.score)}</td><td class="num">{score(d.earnedPoints)}/{score(d.maxPoints)}</td><td class="num">{d.rank}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </section>

          <div class="two">
            <section aria-labelledby="history-title" class="panel">
              <h2 id="history-title">{t.historyTitle}</h2>
              {!context ? <Loading t={t} /> : (
                <>
                  <ChartView label={t.historyChart} config={{
                    type: 'line',
                    data: {
                      labels: history.map((a) => String(a.year)),
                      datasets: [
                        { label: t.thisUnit, data: history.map((a) => results.find((r) => r.year === a.year)?.score ?? null), borderColor: ACCENT, backgroundColor: ACCENT, pointRadius: 5, borderWidth: 3 },
                        { label: t.provinceAverage, data: history.map((a) => a.average), borderColor: MUTED, backgroundColor: MUTED, borderDash: [6, 4], pointRadius: 4, borderWidth: 2 },
                      ],
                    },
                    options: {
                      scales: { x: { offset: true }, y: { suggestedMin: 50, suggestedMax: 100 } },
                      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true } } },
                    },
                  }} />
                  <details>
                    <summary>{t.showData}</summary>
                    <table data-testid="history">
                      <thead><tr><th scope="col">{t.year}</th><th scope="col" class="num">{t.thisUnit}</th><th scope="col" class="num">{t.provinceAverage}</th></tr></thead>
                      <tbody>{history.map((a) => <tr><td>{a.year}</td><td class="num">{score(results.find((r) => r.year === a.year)?.score)}</td><td class="num">{score(a.average)}</td></tr>)}</tbody>
                    </table>
                  </details>
                </>
              )}
            </section>
            <section aria-labelledby="satisfaction-title" class="panel">
              <h2 id="satisfaction-title">{t.satisfactionTitle}</h2>
              {!context ? <Loading t={t} /> : context.satisfaction.length === 0 ? <p class="status">{t.noSatisfaction}</p> : (
                <>
                  <ChartView label={t.satisfactionChart(result.year)} config={{
                    type: 'bar',
                    data: {
                      labels: context.satisfaction.map((m) => monthLabel(m.key)),
                      datasets: [{ label: t.rate, data: context.satisfaction.map((m) => Math.round(m.rate * 1000) / 10), backgroundColor: '#0f766e', borderRadius: 3 }],
                    },
                    options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } }, plugins: { legend: { display: false } } },
                  }} />
                  <details>
                    <summary>{t.showData}</summary>
                    <table data-testid="satisfaction">
                      <thead><tr><th scope="col">{t.month}</th><th scope="col" class="num">{t.responses}</th><th scope="col" class="num">{t.rate}</th></tr></thead>
                      <tbody>{context.satisfaction.map((m) => <tr><td>{monthLabel(m.key)}</td><td class="num">{count(m.responses)}</td><td class="num">{percent(m.rate)}</td></tr>)}</tbody>
                    </table>
                  </details>
                </>
              )}
            </section>
          </div>
        </>
      )}
    </article>
  );
}
