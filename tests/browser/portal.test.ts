import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { demoYears } from '../../src/seed/demo-years';
import { startTestService, type TestService } from '../support/test-service';
import { type Browser, describeInBrowser, ensureWebBuild, openBrowser, SCREENSHOTS, viNumber, watch } from './browser-support';

/**
 * The portal at / in headless Chromium, on the demo province, as an
 * anonymous reader: what it shows must be what GraphQL answers.
 */
jest.setTimeout(120_000);

const { published: YEAR, earlier } = demoYears();
// The demo's districts (and a commune ranking per district) are on the three-tier map: its 2024 when YEAR is two-tier.
const DISTRICT_YEAR = earlier ?? YEAR;
const RANKING = `query($year: Int!, $kind: UnitKind!, $domain: String, $parent: String) {
  rankings(year: $year, unitKind: $kind, domainCode: $domain, parentCode: $parent, first: 100) {
    summary { count average bands { band { code label } count } }
    edges { rank score node { unit { code name } unitName rankChange band { label } } } } }`;

/** The rows of the ranking table as shown: code, rank, index, band, rank change. */
async function shownRows(page: Page) {
  await page.locator('table.ranking tbody tr').first().waitFor();
  return page.$$eval('table.ranking tbody tr', (trs) => trs.map((tr) => ({
    code: tr.getAttribute('data-code'),
    name: tr.querySelector('.name a')?.textContent,
    rank: Number(tr.querySelector('.rank')?.textContent),
    score: tr.querySelector('.score')?.textContent ?? '',
    band: tr.querySelector('.band')?.textContent ?? '',
    change: (tr.querySelector('.change [aria-hidden]')?.textContent ?? '').replace(/\s+/g, ' '),
  })));
}

function expectedRows(edges: any[], withChange = true) {
  return edges.map((e) => ({
    code: e.node.unit.code, name: e.node.unitName, rank: e.rank, score: e.score,
    band: e.node.band?.label ?? '–',
    change: !withChange ? '' : e.node.rankChange === null ? '–' : e.node.rankChange === 0 ? '='
      : `${e.node.rankChange > 0 ? '▲' : '▼'} ${Math.abs(e.node.rankChange)}`,
  }));
}

async function expectTableEquals(page: Page, edges: any[], withChange = true) {
  const rows = await shownRows(page);
  expect(rows.map((r) => ({ ...r, score: viNumber(r.score), change: withChange ? r.change : '' }))).toEqual(expectedRows(edges, withChange));
  // Two decimals with a decimal comma, as Vietnamese readers write them.
  for (const r of rows) expect(r.score).toMatch(/^\d{1,3},\d\d$/);
}

async function axeSerious(page: Page): Promise<string[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (the page itself runs no inline script).
  await page.evaluate(source);
  const result = await page.evaluate(() => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }));
  return (result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

describeInBrowser('the portal in a real browser', () => {
  let t: TestService;
  let browser: Browser;
  let origin: string;
  let page: Page;
  let seen: ReturnType<typeof watch>;
  const anon = (query: string, variables: Record<string, unknown> = {}) => t.ok(query, variables, null);

  beforeAll(async () => {
    ensureWebBuild();
    t = await startTestService({ seedDemo: true });
    origin = new URL(t.url).origin;
    // The demo ranks departments, districts (up to 2024) and communes: the communes of 2024 by district, those of YEAR together.
    browser = await openBrowser();
    page = await browser.context.newPage();
    seen = watch(page);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('/ shows the latest published department ranking: every row and figure as GraphQL answers it', async () => {
    await page.goto(`${origin}/`);
    const answer = (await anon(RANKING, { year: YEAR, kind: 'DEPARTMENT' })).rankings;
    expect(await page.locator('h1').textContent()).toBe(`Xếp hạng Sở, ban, ngành năm ${YEAR}`);
    if (earlier === null) {
      // The demo's first published year has no year before it: no rank change, no column for it.
      expect(answer.edges.every((e: any) => e.node.rankChange === null)).toBe(true);
      expect(await page.locator('th', { hasText: 'Thay đổi hạng' }).count()).toBe(0);
    } else {
      // 2024 is published before it, on the three-tier map: rank changes, but none for the departments formed in 2025.
      expect(answer.edges.some((e: any) => e.node.rankChange !== null)).toBe(true);
      expect(answer.edges.filter((e: any) => e.node.rankChange === null).map((e: any) => e.node.unit.code).sort()).toEqual(['SKHCN25', 'SNNMT', 'STC25']);
    }
    await expectTableEquals(page, answer.edges, earlier !== null);
    expect(viNumber(await page.getByTestId('average').textContent() ?? '')).toBe(answer.summary.average);
    expect(Number(await page.getByTestId('count').textContent())).toBe(answer.summary.count);
    // The tie shows as one rank twice, then a rank skipped.
    const ranks = (await shownRows(page)).map((r) => r.rank);
    expect(ranks.some((r, i) => i > 0 && r === ranks[i - 1])).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'portal-ranking.png'), fullPage: true });
  });

  test('filters: kind, domain, search without diacritics, and a commune\'s district; each state is a URL', async () => {
    await page.goto(`${origin}/`);
    await page.getByLabel('Khối', { exact: true }).selectOption('DISTRICT');
    await page.waitForURL(/kind=DISTRICT/);
    await expectTableEquals(page, (await anon(RANKING, { year: DISTRICT_YEAR, kind: 'DISTRICT' })).rankings.edges, false);

    await page.getByLabel('Lĩnh vực', { exact: true }).selectOption('LV3');
    await page.waitForURL(/domain=LV3/);
    const byDomain = (await anon(RANKING, { year: DISTRICT_YEAR, kind: 'DISTRICT', domain: 'LV3' })).rankings.edges;
    await page.waitForFunction(() => (globalThis as any).document.querySelector('table.ranking th:nth-child(3)')?.textContent === 'Chỉ số lĩnh vực');
    await expectTableEquals(page, byDomain, false);
    expect(byDomain.map((e: any) => e.node.unit.code)).not.toEqual((await anon(RANKING, { year: DISTRICT_YEAR, kind: 'DISTRICT' })).rankings.edges.map((e: any) => e.node.unit.code));

    await page.getByLabel('Tìm đơn vị', { exact: true }).fill('huong');
    await page.waitForURL(/q=huong/);
    // "huong" finds both Hương Thủy and Hương Trà, in their ranking order.
    expect((await shownRows(page)).map((r) => r.name)).toEqual(byDomain.map((e: any) => e.node.unit.name).filter((n: string) => n.includes('Hương')));
    expect((await shownRows(page))).toHaveLength(2);

    // The same state, opened from its URL.
    const url = page.url();
    const fresh = await browser.context.newPage();
    const freshSeen = watch(fresh);
    await fresh.goto(url);
    expect((await shownRows(fresh)).map((r) => r.code)).toEqual((await shownRows(page)).map((r) => r.code));
    expect(freshSeen.errors).toEqual([]);
    await fresh.close();

    // A two-tier year ranks the province's communes together: no district picker.
    await page.goto(`${origin}/?kind=COMMUNE&year=${YEAR}`);
    await expectTableEquals(page, (await anon(RANKING, { year: YEAR, kind: 'COMMUNE' })).rankings.edges, false);
    expect(await page.getByLabel('Huyện', { exact: true }).count()).toBe(0);
    await page.goto(`${origin}/?kind=COMMUNE&year=${DISTRICT_YEAR}`);
    const communes = (await anon(RANKING, { year: DISTRICT_YEAR, kind: 'COMMUNE' })).rankings.edges;
    expect(communes.length).toBeGreaterThan(2);
    await expectTableEquals(page, communes, false);
    await page.getByLabel('Huyện', { exact: true }).selectOption('PHONG_DIEN');
    await page.waitForURL(/district=PHONG_DIEN/);
    await expectTableEquals(page, (await anon(RANKING, { year: DISTRICT_YEAR, kind: 'COMMUNE', parent: 'PHONG_DIEN' })).rankings.edges, false);
    await page.getByLabel('Huyện', { exact: true }).selectOption('HUE');
    await page.waitForSelector('table.ranking tbody:empty', { state: 'attached' });
    expect(await page.getByText('Không có đơn vị nào khớp').isVisible()).toBe(true);
  });

  test('a unit page: key figures, domain scores, the index over the years against the average, satisfaction by month', async () => {
    await page.goto(`${origin}/`);
    await page.getByRole('link', { name: 'Sở Tư pháp' }).click();
    await page.waitForURL(/unit=STP/);
    const r = (await anon(`query($year: Int!) { unit(code: "STP") { name results { year score domains { code score earnedPoints maxPoints rank } } }
      satisfaction(year: $year, unitCode: "STP", groupBy: MONTH) { key responses rate }
      rankings(year: $year, unitKind: DEPARTMENT, first: 1) { summary { average } } }`, { year: YEAR }));
    expect(await page.locator('h1').textContent()).toBe('Sở Tư pháp');
    const result = r.unit.results[0];
    expect(result.year).toBe(YEAR);
    expect(viNumber(await page.getByTestId('unit-score').textContent() ?? '')).toBe(result.score);
    await page.locator('[data-testid=satisfaction] tbody tr').first().waitFor({ state: 'attached' });
    const domains = await page.$$eval('[data-testid=domains] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(domains.map((d) => ({ code: d[0]!.split(' · ')[0], score: d[1] }))).toEqual(
      result.domains.map((d: any) => ({ code: d.code, score: d.score.toFixed(2).replace('.', ',') })));
    const months = await page.$$eval('[data-testid=satisfaction] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(months).toEqual(r.satisfaction.map((m: any) => [`${m.key.slice(5)}/${m.key.slice(0, 4)}`, String(m.responses),
      `${(Math.round(m.rate * 1000) / 10).toFixed(1).replace('.', ',')} %`]));
    expect(months).toHaveLength(12);
    const history = await page.$$eval('[data-testid=history] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(history).toContainEqual([String(YEAR), result.score.toFixed(2).replace('.', ','), r.rankings.summary.average.toFixed(2).replace('.', ',')]);
    expect(await page.locator('canvas').count()).toBe(3);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'portal-unit.png'), fullPage: true });
    // Back to the ranking, with the browser's own button.
    await page.goBack();
    await page.waitForURL(`${origin}/`);
    await shownRows(page);
  });

  test('the province page: units per band of each level, as the rankings\' summaries say', async () => {
    await page.goto(`${origin}/?view=province&year=${YEAR}`);
    for (const kind of YEAR > 2024 ? ['DEPARTMENT', 'COMMUNE'] : ['DEPARTMENT', 'DISTRICT', 'COMMUNE']) {
      const summary = (await anon(RANKING, { year: YEAR, kind })).rankings.summary;
      // The page draws each level's table once its summary has arrived: wait for its rows, then read them.
      await page.locator(`[data-testid=bands-${kind}] tbody tr`).first().waitFor({ state: 'attached' });
      const shown = await page.locator(`[data-testid=bands-${kind}] tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(shown).toEqual(summary.bands.map((b: any) => [b.band.label, String(b.count)]));
    }
  });

  test('English on the switch, figures still with a decimal comma; the language is part of the URL', async () => {
    await page.goto(`${origin}/`);
    await page.getByRole('link', { name: 'Switch to English' }).click();
    await page.waitForURL(/lang=en/);
    expect(await page.locator('h1').textContent()).toBe(`Departments: ranking ${YEAR}`);
    await page.waitForFunction(() => (globalThis as any).document.documentElement.lang === 'en');
    const rows = await shownRows(page);
    expect(rows[0].score).toMatch(/^\d{1,3},\d\d$/);
    await page.reload();
    expect(await page.locator('th').first().textContent()).toBe('Rank');
  });

  test('works at 360 px wide: nothing wider than the screen, targets at least 44 px high', async () => {
    const phone = await openBrowser({ width: 360, height: 740, isMobile: true, hasTouch: true });
    try {
      const p = await phone.context.newPage();
      const phoneSeen = watch(p);
      for (const url of [`${origin}/`, `${origin}/?unit=HUE`, `${origin}/?view=province`]) {
        await p.goto(url);
        await p.locator('main h1').waitFor();
        await p.waitForLoadState('networkidle');
        expect(await p.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      }
      await p.goto(`${origin}/`);
      await shownRows(p);
      const small = await p.$$eval('select, input, .top nav a', (els) => els.map((e) => e.getBoundingClientRect()).filter((b) => b.height < 44).length);
      expect(small).toBe(0);
      await p.screenshot({ path: path.join(SCREENSHOTS, 'portal-ranking-360.png') });
      expect(phoneSeen.errors).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  test('axe-core finds no serious or critical accessibility violation on the ranking, a unit and the province', async () => {
    for (const url of [`${origin}/`, `${origin}/?unit=STP`, `${origin}/?view=province`, `${origin}/?kind=COMMUNE&lang=en`]) {
      await page.goto(url);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      expect({ url, violations: await axeSerious(page) }).toEqual({ url, violations: [] });
    }
  });

  test('rank changes show as arrows once a year whose year before is published is published too', async () => {
    // This test's own database: publish the demo's open year of departments (the demo leaves it open).
    const open = demoYears().open;
    await t.ok(`mutation($year: Int!) { publishCycle(year: $year, unitKind: DEPARTMENT) { status } }`, { year: open });
    await page.goto(`${origin}/?kind=DEPARTMENT`);
    expect(await page.locator('h1').textContent()).toBe(`Xếp hạng Sở, ban, ngành năm ${open}`);
    const edges = (await anon(RANKING, { year: open, kind: 'DEPARTMENT' })).rankings.edges;
    expect(edges.filter((e: any) => e.node.rankChange > 0).length).toBeGreaterThan(0);
    expect(edges.filter((e: any) => e.node.rankChange < 0).length).toBeGreaterThan(0);
    await expectTableEquals(page, edges, true);
    const upward = edges.find((e: any) => e.node.rankChange > 0);
    const change = page.locator(`tr[data-code=${upward.node.unit.code}] .change`);
    expect(await change.textContent()).toMatch(new RegExp(`^▲ ${upward.node.rankChange}\\s*tăng ${upward.node.rankChange} bậc$`));
  });

  test('no request left 127.0.0.1 and no console error in the whole run; pages carry a strict CSP, hashed files a year of caching', async () => {
    expect(seen.requests.length).toBeGreaterThan(20);
    for (const url of seen.requests) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(seen.errors).toEqual([]);
    const home = await fetch(`${origin}/`);
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(home.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(home.headers.get('cache-control')).toBe('no-cache');
    const html = await home.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const a of assets) {
      const res = await fetch(`${origin}${a}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${origin}/assets/..%2Fkiosk.html`)).status).toBe(404);
    expect((await fetch(`${origin}/assets/nope-123.js`)).status).toBe(404);
  });
});
