/** Where a headless-capable Chromium is installed (Debian's `chromium`, or `chromium-browser`), for the tests that render pages in it. */
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { Page } from 'puppeteer-core';

export function chromiumPath(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (path !== '') return path;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

/**
 * A blank page in a headless Chromium at `executablePath` (from `chromiumPath()`), closed when test `t` ends.
 * `errors` collects what the page reports as broken: uncaught exceptions and console errors.
 */
export async function openPage(t: TestContext, executablePath: string): Promise<{ page: Page; errors: string[] }> {
  // puppeteer-core is a dev dependency: loaded only when a test opens a page, never by the built package.
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'], timeout: 60_000 });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, errors };
}
