import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * The portal (index.html, served at /) and the kiosk app (kiosk.html, at
 * /kiosk), built into web/dist. Hashed files go to assets/ (the service
 * serves them as immutable); the kiosk's service worker keeps its fixed
 * name, kiosk-sw.js, and gets the list of files to keep offline written in
 * once the bundle is out (kioskOffline below).
 */
const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(root, 'dist');

/** The local files a built page loads (scripts, module preloads, style sheets, icons). */
function pageFiles(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
}

/**
 * After the build: writes the kiosk page's files and a version into the
 * service worker, and sizes.json with each app's bytes, raw and gzipped
 * (what a tablet downloads; README reports them).
 */
function kioskOffline(): Plugin {
  return {
    name: 'par-kiosk-offline',
    apply: 'build',
    closeBundle() {
      if (!existsSync(path.join(outDir, 'kiosk.html'))) return; // the build failed: its own error says why
      const sizes: Record<string, { files: number; bytes: number; gzipBytes: number }> = {};
      for (const [app, page] of [['portal', 'index.html'], ['kiosk', 'kiosk.html']] as const) {
        const html = readFileSync(path.join(outDir, page));
        const files = pageFiles(html.toString('utf8'));
        let bytes = html.length, gzipBytes = gzipSync(html, { level: 9 }).length;
        for (const f of files) {
          const body = readFileSync(path.join(outDir, f));
          bytes += body.length;
          gzipBytes += gzipSync(body, { level: 9 }).length;
        }
        sizes[app] = { files: files.length + 1, bytes, gzipBytes };
        if (app === 'kiosk') {
          const precache = ['/kiosk', ...files];
          const version = createHash('sha256').update(html).update(precache.join('\n')).digest('hex').slice(0, 12);
          const swPath = path.join(outDir, 'kiosk-sw.js');
          const sw = readFileSync(swPath, 'utf8')
            .replace('"__PRECACHE__"', JSON.stringify(precache))
            .replace('__VERSION__', version);
          writeFileSync(swPath, sw);
        }
      }
      writeFileSync(path.join(outDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      for (const [app, s] of Object.entries(sizes)) {
        console.log(`${app}: ${s.files} files, ${kb(s.bytes)}, ${kb(s.gzipBytes)} gzipped`);
      }
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  publicDir: path.join(root, 'public'),
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rolldownOptions: {
      input: { portal: path.join(root, 'index.html'), kiosk: path.join(root, 'kiosk.html') },
    },
  },
  plugins: [kioskOffline()],
});
