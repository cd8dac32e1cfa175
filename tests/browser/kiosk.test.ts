import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { demoYears } from '../../src/seed/demo-years';
import { startTestService, type TestService } from '../support/test-service';
import { type Browser, describeInBrowser, ensureWebBuild, openBrowser, SCREENSHOTS, watch } from './browser-support';

/**
 * The kiosk at /kiosk in headless Chromium against the demo province: what
 * a citizen does on it, with and without network, and what the service
 * stores.
 */
jest.setTimeout(120_000);

interface QueuedItem { input: { clientId: string; answers: unknown[]; procedureCode?: string }; state: string; error?: { message: string } }

describeInBrowser('the kiosk in a real browser', () => {
  let t: TestService;
  let origin: string;
  let questions: { code: string; scaleMax: number }[];
  const open: Browser[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    t = await startTestService({ seedDemo: true });
    origin = new URL(t.url).origin;
    questions = (await t.ok(`query($year: Int!) { questionnaire(year: $year) { code scaleMax } }`, { year: demoYears().open }, null)).questionnaire;
    expect(questions.length).toBeGreaterThanOrEqual(5);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    for (const b of open) await b.close().catch(() => undefined);
    await t?.stop();
  });

  async function newKiosk(label: string): Promise<{ id: string; token: string }> {
    const r = await t.ok(`mutation($label: String!) { registerKiosk(input: { unitCode: "STP", label: $label }) { kiosk { id } token } }`, { label });
    return { id: r.registerKiosk.kiosk.id, token: r.registerKiosk.token };
  }

  /** A fresh browser profile on /kiosk?token=…, at the welcome screen. */
  async function provision(token: string, size = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
    const browser = await openBrowser({ ...size, hasTouch: true });
    open.push(browser);
    const page = await browser.context.newPage();
    await page.goto(`${origin}/kiosk?token=${encodeURIComponent(token)}&name=${encodeURIComponent('Bộ phận Một cửa Sở Tư pháp')}`);
    await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).waitFor();
    return { context: browser.context, page };
  }

  const stored = async (label: string) => (await t.sql<{ client_id: string; answers: number; procedure_code: string | null }>(
    `SELECT r.client_id, r.procedure_code, (SELECT count(*) FROM survey_answer a WHERE a.response_id = r.id)::int AS answers
       FROM survey_response r JOIN kiosk k ON k.id = r.kiosk_id WHERE k.label = $1 ORDER BY r.client_id`, [label]));

  const queueOf = async (page: Page) => ({
    waiting: Number(await page.getByTestId('queue').getAttribute('data-waiting')),
    rejected: Number(await page.getByTestId('queue').getAttribute('data-rejected')),
  });

  /** The kiosk's IndexedDB queue, read as the page sees it. */
  const idbQueue = (page: Page) => page.evaluate(() => new Promise<QueuedItem[]>((resolve, reject) => {
    const req = (globalThis as any).indexedDB.open('par-kiosk');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('responses')) { resolve([]); return; }
      const all = db.transaction('responses').objectStore('responses').getAll();
      all.onsuccess = () => resolve(all.result as QueuedItem[]);
    };
  }));

  async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** One citizen: every question answered (the value `pick` of its scale), a procedure code or none, to the thank-you screen. */
  async function respond(page: Page, procedure?: string, pick = (scaleMax: number) => scaleMax): Promise<void> {
    await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).click();
    for (const q of questions) {
      await page.locator(`main[data-question="${q.code}"]`).waitFor();
      await page.locator(`main[data-question="${q.code}"] .choice[data-value="${pick(q.scaleMax)}"]`).click();
    }
    if (procedure) {
      await page.getByLabel('Mã thủ tục Ông/Bà vừa thực hiện').fill(procedure);
      await page.getByRole('button', { name: 'Gửi đánh giá' }).click();
    } else {
      await page.getByRole('button', { name: 'Bỏ qua', exact: true }).click();
    }
    await page.getByTestId('thanks').waitFor();
  }

  async function nextCitizen(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Xong' }).click();
    await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).waitFor();
  }

  const controlled = (page: Page) => page.waitForFunction(() => !!(globalThis as any).navigator.serviceWorker?.controller, null, { timeout: 20_000 });

  test('provisioned by ?token=, which leaves the address bar; a full response is stored once, with its procedure', async () => {
    const { token } = await newKiosk('Kiosk 1');
    const { page } = await provision(token);
    const seen = watch(page);
    expect(page.url()).toBe(`${origin}/kiosk`);
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('par-kiosk-token'))).toBe(token);
    await page.reload();
    await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).waitFor();
    expect(await page.getByText('Bộ phận Một cửa Sở Tư pháp').isVisible()).toBe(true);

    // The first question on five faces, for the README.
    await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).click();
    const five = questions.findIndex((q) => q.scaleMax === 5);
    for (let i = 0; i < five; i++) await page.getByRole('button', { name: 'Bỏ qua câu này' }).click();
    await page.locator(`main[data-question="${questions[five].code}"]`).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'kiosk-question.png') });
    for (let i = 0; i < five; i++) await page.getByRole('button', { name: 'Quay lại' }).click();
    await page.getByRole('button', { name: 'Huỷ' }).click();

    await respond(page, 'CHUNG_THUC');
    await until(async () => (await stored('Kiosk 1')).length === 1, 'the response to be stored');
    await until(async () => (await queueOf(page)).waiting === 0, 'the queue to empty');
    const rows = await stored('Kiosk 1');
    expect(rows).toEqual([{ client_id: expect.any(String), procedure_code: 'CHUNG_THUC', answers: questions.length }]);
    expect(await idbQueue(page)).toEqual([]);
    // Nothing is sent twice: a while later, still one.
    await page.waitForTimeout(1500);
    expect(await stored('Kiosk 1')).toHaveLength(1);
    expect(seen.errors).toEqual([]);
  });

  test('offline: three responses wait in the queue, shown discreetly, survive a reload; back online each is stored exactly once', async () => {
    const { token } = await newKiosk('Kiosk 2');
    const { context, page } = await provision(token);
    await controlled(page);
    await context.setOffline(true);
    for (let i = 0; i < 3; i++) {
      await respond(page, undefined, () => 1 + i);
      await nextCitizen(page);
    }
    expect(await queueOf(page)).toEqual({ waiting: 3, rejected: 0 });
    expect(await page.getByText('3 phiếu chờ gửi').isVisible()).toBe(true);
    const ids = (await idbQueue(page)).map((q) => q.input.clientId).sort();
    expect(ids).toHaveLength(3);
    expect(await stored('Kiosk 2')).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'kiosk-offline.png') });

    // A reload with no network: the service worker serves the page, the queue is still there.
    await page.reload();
    await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).waitFor();
    await until(async () => (await queueOf(page)).waiting === 3, 'the queue after the reload');
    expect((await idbQueue(page)).map((q) => q.input.clientId).sort()).toEqual(ids);

    await context.setOffline(false);
    await until(async () => (await queueOf(page)).waiting === 0, 'the queue to be sent');
    expect((await stored('Kiosk 2')).map((r) => r.client_id)).toEqual(ids);
    await page.waitForTimeout(1500);
    expect((await stored('Kiosk 2')).map((r) => r.client_id)).toEqual(ids);
    expect(await idbQueue(page)).toEqual([]);
  });

  test('an item the service already has comes back DUPLICATE and leaves the queue, stored once', async () => {
    const { token } = await newKiosk('Kiosk 3');
    const { context, page } = await provision(token);
    const answers: { clientId: string; status: string }[] = [];
    page.on('response', async (res) => {
      if (!res.url().endsWith('/graphql') || !(res.request().postData() ?? '').includes('submitSurveyResponses')) return;
      const body = await res.json().catch(() => null);
      answers.push(...(body?.data?.submitSurveyResponses ?? []));
    });
    await controlled(page);
    await context.setOffline(true);
    await respond(page);
    const [item] = await idbQueue(page);
    // The service got it by another way (say the kiosk lost the answer of an earlier send).
    const first = await t.ok(`mutation($inputs: [SubmitSurveyResponseInput!]!) { submitSurveyResponses(inputs: $inputs) { status } }`, { inputs: [item.input] }, token);
    expect(first.submitSurveyResponses).toEqual([{ status: 'ACCEPTED' }]);
    await context.setOffline(false);
    await until(async () => (await queueOf(page)).waiting === 0, 'the queue to be sent');
    expect(answers).toContainEqual({ clientId: item.input.clientId, status: 'DUPLICATE', error: null });
    expect((await stored('Kiosk 3')).map((r) => r.client_id)).toEqual([item.input.clientId]);
    expect(await idbQueue(page)).toEqual([]);
  });

  test('a REJECTED response (the tablet\'s clock two hours ahead) stays in the queue and is shown to staff', async () => {
    const { token } = await newKiosk('Kiosk 4');
    const browser = await openBrowser({ hasTouch: true });
    open.push(browser);
    const page = await browser.context.newPage();
    await page.clock.setFixedTime(new Date(Date.now() + 2 * 3_600_000));
    await page.goto(`${origin}/kiosk?token=${token}`);
    await respond(page);
    await until(async () => (await queueOf(page)).rejected === 1, 'the refusal');
    expect(await queueOf(page)).toEqual({ waiting: 0, rejected: 1 });
    const [kept] = await idbQueue(page);
    expect(kept.state).toBe('rejected');
    expect(kept.error?.message).toMatch(/ahead of the server clock/);
    expect(await stored('Kiosk 4')).toEqual([]);
    await page.getByRole('button', { name: 'Xong' }).click();
    await page.getByRole('button', { name: '1 phiếu bị từ chối' }).click();
    const list = page.getByTestId('rejected-list');
    expect(await list.textContent()).toMatch(/ahead of the server clock/);
    // Kept across a reload, and never sent again.
    await page.reload();
    await until(async () => (await queueOf(page)).rejected === 1, 'the refused item after the reload');
    expect(await stored('Kiosk 4')).toEqual([]);
  });

  test('a revoked token shows a clear "kiosk disabled" screen', async () => {
    const { id, token } = await newKiosk('Kiosk 5');
    const { page } = await provision(token);
    await t.ok(`mutation($id: ID!) { revokeKiosk(id: $id) { active } }`, { id });
    await page.reload();
    await page.getByTestId('disabled').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Kiosk đã ngừng hoạt động');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'kiosk-disabled.png') });
  });

  test('every touch target is at least 44 × 44 px, on a tablet and on a 360 px phone', async () => {
    const { token } = await newKiosk('Kiosk 6');
    for (const size of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
      const { page } = await provision(token, size);
      const small = async (where: string) => {
        const boxes = await page.$$eval('button, input, a', (els) => els.map((e) => {
          const b = e.getBoundingClientRect();
          return { what: e.textContent?.trim() || e.tagName, w: b.width, h: b.height };
        }));
        expect(boxes.length).toBeGreaterThan(0);
        return boxes.filter((b) => b.w < 44 || b.h < 44).map((b) => `${where}: ${b.what} ${b.w}×${b.h}`);
      };
      const found = [...await small('welcome')];
      await page.getByRole('button', { name: 'Bắt đầu đánh giá' }).click();
      for (const q of questions.filter((x, i, all) => all.findIndex((y) => y.scaleMax === x.scaleMax) === i)) {
        while (await page.locator(`main[data-question="${q.code}"]`).count() === 0) await page.getByRole('button', { name: 'Bỏ qua câu này' }).click();
        found.push(...await small(`question on a ${q.scaleMax}-level scale`));
      }
      await page.locator('.choice').first().click();
      while (await page.locator('main.question').count() > 0) await page.getByRole('button', { name: 'Bỏ qua câu này' }).click();
      found.push(...await small('procedure'));
      expect(found).toEqual([]);
    }
  });
});
