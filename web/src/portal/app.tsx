import { useCallback, useEffect, useState } from 'preact/hooks';
import { publishedYears } from './api';
import { WORDS, type UnitKind, type Words } from './i18n';
import { ProvincePage } from './province';
import { RankingPage } from './ranking';
import { parseRoute, type Route, routeHref } from './route';
import { UnitPageView } from './unit';

export interface PageProps {
  route: Route;
  t: Words;
  years: Record<UnitKind, number[]>;
  /** Goes to another page of the portal (pushes the URL); `replace` for filter edits as one types. */
  go: (route: Route, replace?: boolean) => void;
}

/** A link inside the portal: a real href (new tab, copy) that navigates without a reload. */
export function Link({ to, go, children, class: cls }: { to: Route; go: PageProps['go']; children: preact.ComponentChildren; class?: string }) {
  return (
    <a class={cls} href={routeHref(to)} onClick={(e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      go(to);
    }}>{children}</a>
  );
}

export function Loading({ t }: { t: Words }) {
  return <p class="status" role="status">{t.loading}</p>;
}

export function Failed({ t, retry }: { t: Words; retry: () => void }) {
  return <p class="status error" role="alert">{t.failed} <button type="button" onClick={retry}>{t.retry}</button></p>;
}

export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.search));
  const [years, setYears] = useState<Record<UnitKind, number[]> | null>(null);
  const [failed, setFailed] = useState(false);
  const t = WORDS[route.lang];

  const load = useCallback(() => {
    setFailed(false);
    publishedYears().then(setYears, () => setFailed(true));
  }, []);
  useEffect(load, []);
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.search));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  // The page's language follows the switch (screen readers pick their voice by it).
  if (document.documentElement.lang !== route.lang) document.documentElement.lang = route.lang;

  const go = useCallback((next: Route, replace = false) => {
    const href = routeHref(next);
    if (replace) history.replaceState(null, '', href);
    else {
      history.pushState(null, '', href);
      scrollTo(0, 0);
    }
    setRoute(next);
  }, []);

  const other = route.lang === 'vi' ? 'en' : 'vi';
  return (
    <>
      <a class="skip" href="#main">{route.lang === 'vi' ? 'Bỏ qua, tới nội dung' : 'Skip to content'}</a>
      <header class="top">
        <div class="top-inner">
          <Link class="brand" to={{ view: 'ranking', lang: route.lang }} go={go}>
            <span class="brand-mark" aria-hidden="true">★</span>
            <span><span class="brand-name">{t.site}</span><span class="brand-short">{t.siteShort}</span></span>
          </Link>
          <nav aria-label={route.lang === 'vi' ? 'Trang' : 'Pages'}>
            <Link class={route.view === 'ranking' ? 'current' : ''} to={{ view: 'ranking', lang: route.lang, year: route.year }} go={go}>{t.nav.ranking}</Link>
            <Link class={route.view === 'province' ? 'current' : ''} to={{ view: 'province', lang: route.lang, year: route.year }} go={go}>{t.nav.province}</Link>
            <Link class="lang" to={{ ...route, lang: other }} go={(r) => go(r, true)}>
              <span lang={other} aria-label={t.switchLabel}>{t.switchTo}</span>
            </Link>
          </nav>
        </div>
      </header>
      <main id="main">
        {failed ? <Failed t={t} retry={load} />
          : !years ? <Loading t={t} />
          : route.view === 'unit' ? <UnitPageView route={route} t={t} years={years} go={go} />
          : route.view === 'province' ? <ProvincePage route={route} t={t} years={years} go={go} />
          : <RankingPage route={route} t={t} years={years} go={go} />}
      </main>
      <footer class="bottom">{t.footer}</footer>
    </>
  );
}
