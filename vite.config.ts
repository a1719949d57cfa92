/**
 * The dashboard's build: web/ → dist/web, served by the admin listener at /dashboard/
 * (src/admin-api/dashboard). One script and one stylesheet, no inline script (the page's CSP is
 * `script-src 'self'`), JSX for Preact.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('web/', import.meta.url));

export default defineConfig({
  root,
  base: '/dashboard/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Keep every asset a file: a data: URL script or an inline one would break the CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1000,
  },
  logLevel: 'warn',
});
