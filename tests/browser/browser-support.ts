import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Real-browser tests: Playwright (playwright-core, no browser download)
 * driving the machine's Chromium (Debian's `chromium` package; .ci/run
 * installs it). Without one the tests are skipped with a message, except
 * under CI, where a missing Chromium fails the run.
 */
const ROOT = path.resolve(__dirname, '../..');
const WEB = path.join(ROOT, 'web');
const DIST = path.join(WEB, 'dist');

export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/**
 * `describe` when a Chromium is there; otherwise `describe.skip` with a line
 * saying why (and a failure under CI, which must run these tests).
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (findChromium()) {
    describe(name, body);
    return;
  }
  const why = 'no Chromium found (install Debian\'s chromium package, or set CHROMIUM_PATH): the browser tests are skipped';
  if (process.env.CI) {
    test(`${name}: Chromium is required under CI`, () => { throw new Error(why); });
    return;
  }
  console.warn(`${name}: ${why}`);
  describe.skip(name, body);
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

/** Builds web/dist with Vite (what `npm run build` does) unless it is newer than every source file. */
export function ensureWebBuild(): void {
  const stamp = path.join(DIST, 'sizes.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest(WEB)) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(WEB, 'vite.config.mts')], {
    cwd: ROOT, stdio: 'pipe', timeout: 180_000,
  });
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a new empty profile (--user-data-dir), nothing phoning home. */
export async function openBrowser(options: { width?: number; height?: number; isMobile?: boolean; hasTouch?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'par-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium()!,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    deviceScaleFactor: 1,
    isMobile: options.isMobile,
    hasTouch: options.hasTouch,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    serviceWorkers: 'allow',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a page did that a test looks at: console errors, uncaught errors, every URL it asked for. */
export function watch(page: Page): { errors: string[]; requests: string[] } {
  const seen = { errors: [] as string[], requests: [] as string[] };
  page.on('console', (m) => { if (m.type() === 'error') seen.errors.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => seen.requests.push(r.url()));
  return seen;
}

export const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');

/** "1.234,56" → 1234.56: a figure as the portal shows it, read back. */
export function viNumber(text: string): number {
  return Number(text.trim().replace(/\./g, '').replace(',', '.').replace(/\s*%$/, ''));
}
