/**
 * The developer portal's build: web/portal.html → dist/portal-web, served at / by the portal
 * listener (src/portal). A second entry of the dashboard's stack: the same components and crypto
 * modules, its own base path and output. One script and one stylesheet, no inline script (CSP).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('web/', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('dist/portal-web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1000,
    rollupOptions: { input: fileURLToPath(new URL('web/portal.html', import.meta.url)) },
  },
  logLevel: 'warn',
});
