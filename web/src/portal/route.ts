import type { Lang, UnitKind } from './i18n';

/**
 * Every page of the portal is a URL on `/`: the query string holds the page
 * and its filters, so a ranking, a unit or the province can be linked,
 * bookmarked and opened directly (the service serves the same page at `/`).
 */
export interface Route {
  view: 'ranking' | 'unit' | 'province';
  lang: Lang;
  year?: number;
  kind?: UnitKind;
  domain?: string;
  district?: string;
  q?: string;
  unit?: string;
}

const KINDS: UnitKind[] = ['DEPARTMENT', 'DISTRICT', 'COMMUNE'];

export function parseRoute(search: string): Route {
  const p = new URLSearchParams(search);
  const year = Number(p.get('year'));
  const kind = p.get('kind') as UnitKind | null;
  const unit = p.get('unit') ?? undefined;
  return {
    view: unit ? 'unit' : p.get('view') === 'province' ? 'province' : 'ranking',
    lang: p.get('lang') === 'en' ? 'en' : 'vi',
    year: Number.isInteger(year) && year > 1999 && year < 2101 ? year : undefined,
    kind: kind && KINDS.includes(kind) ? kind : undefined,
    domain: p.get('domain') || undefined,
    district: p.get('district') || undefined,
    q: p.get('q') || undefined,
    unit,
  };
}

export function routeHref(r: Route): string {
  const p = new URLSearchParams();
  if (r.view === 'unit' && r.unit) p.set('unit', r.unit);
  if (r.view === 'province') p.set('view', 'province');
  if (r.year) p.set('year', String(r.year));
  if (r.view === 'ranking') {
    if (r.kind) p.set('kind', r.kind);
    if (r.domain) p.set('domain', r.domain);
    if (r.district && r.kind === 'COMMUNE') p.set('district', r.district);
    if (r.q) p.set('q', r.q);
  }
  if (r.lang === 'en') p.set('lang', 'en');
  const s = p.toString();
  return s ? `/?${s}` : '/';
}
