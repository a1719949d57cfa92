/**
 * Browser tests of the dashboard: Debian's Chromium driven by playwright-core (no browser is ever
 * downloaded), the app built by Vite into dist/web when missing or older than web/, screenshots of
 * each page at 1280 and 390 px under test-output/screenshots/ (git-ignored) for a reviewer to look
 * at, and every console error or uncaught page error collected so that a test can assert none.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { underBuildLock } from './build-lock.ts';

export const CHROMIUM = process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');
export const WIDTHS = [1280, 390] as const;

/** Why browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds dist/web when it is missing or older than the sources (web/, the shared wire types). */
export function ensureDashboardBuilt(): void {
  const index = path.join(ROOT, 'dist', 'web', 'index.html');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'web')),
    statSync(path.join(ROOT, 'src', 'admin-api', 'wire-types.ts')).mtimeMs,
    statSync(path.join(ROOT, 'vite.config.ts')).mtimeMs,
  );
  const fresh = () => existsSync(index) && statSync(index).mtimeMs >= sources;
  if (fresh()) return;
  underBuildLock('web', () => {
    if (fresh()) return;
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
      timeout: 120_000,
    });
  });
}

export async function launchBrowser(): Promise<Browser> {
  // Playwright gives every launch a fresh profile (its own temporary --user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far (cleared by `takeProblems`). */
  takeProblems(): string[];
}

/**
 * A page in a fresh context (its own cookies and storage). Console errors that are the answers of
 * refused API calls a test provoked on purpose (a 4xx the page then shows) are not problems: the
 * browser logs every failed fetch as a console error, which says nothing about the page itself.
 */
export async function openPage(browser: Browser, width: number = WIDTHS[0]): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  let problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  return {
    page,
    context,
    takeProblems() {
      const taken = problems;
      problems = [];
      return taken;
    },
  };
}

/** Full-page screenshots at each width, as `<name>-<width>.png`. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(50); // one layout pass after the resize (no timing is asserted)
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  if (original !== null) await page.setViewportSize(original);
}

export const SCREENSHOT_DIR = SCREENSHOTS;
