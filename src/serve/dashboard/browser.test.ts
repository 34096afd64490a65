/**
 * The dashboard in a real browser (Debian's chromium, driven by puppeteer-core): the page loads against run
 * directories made here, draws the charts, shows a metric appended to metrics.jsonl without a reload, and compares
 * two runs when both are ticked, and answers a request typed in the playground. Screenshots of both views are saved in the temp folder. Without chromium the test skips and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, openPage } from '../../report/testing/browser.js';
import { RunDirectory } from '../../train/run-dir.js';
import { POLL_MS } from './page.js';
import { createDashboardServer } from './dashboard.js';
import { tinyPlayground } from './testing-playground.js';

test('the dashboard renders its charts in headless Chromium and follows a run live', async (t) => {
  const executablePath = chromiumPath();
  if (executablePath === undefined) return t.skip('no chromium installed (`which chromium chromium-browser` found none): the dashboard was not rendered in a browser');
  const root = mkdtempSync(join(tmpdir(), 'toolken-dashboard-browser-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const runs = ['lr-1e-3', 'lr-3e-3'].map((name, i) => {
    const run = RunDirectory.open(join(root, name), { resume: false });
    run.writeConfig({ stage: 'memorization', sft: { lr: [1e-3, 3e-3][i], epochs: 2 }, title: '<b>not bold</b>' });
    for (let step = 1; step <= 40; step++) run.appendMetric({ step, split: 'train', loss: 6 * 0.93 ** (step * (i + 1)), lr: [1e-3, 3e-3][i]!, tokens_per_s: 800 + step });
    run.appendMetric({ step: 40, split: 'validation', loss: 1.1 - i / 2, accuracy: 0.6 + i / 10 });
    return run;
  });
  const dashboard = createDashboardServer({ runs: [root], playground: await tinyPlayground() });
  const { port } = await dashboard.listen(0, '127.0.0.1');
  t.after(() => dashboard.close());

  const { page, errors } = await openPage(t, executablePath);
  await page.setViewport({ width: 1280, height: 1800 });
  await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });

  // The first run is shown: its loss chart (raw, smoothed, validation) and the other curves, drawn as SVG.
  await page.waitForSelector('#view section.run svg', { timeout: 10_000 });
  const titles = await page.$$eval('#view svg text[font-weight="bold"]', (nodes) => nodes.map((n) => n.textContent));
  assert.ok(titles.some((s) => /: loss$/.test(s ?? '')), `a loss chart among ${titles.join(', ')}`);
  assert.ok(titles.includes('train lr') && titles.includes('train tokens_per_s') && titles.includes('validation accuracy'));
  assert.equal(await page.$eval('#view [data-last-step]', (n) => n.textContent), '40');
  assert.equal(await page.$$eval('#runs button.run', (nodes) => nodes.length), 2);
  assert.equal(await page.$('#view b:not([data-last-step])'), null, 'text from the config is not markup');

  // A step the trainer appends shows up without a reload.
  const shown = await page.$eval('#view section.run h1', (n) => n.textContent ?? '');
  const followed = runs.find((r) => r.path.endsWith(shown))!;
  followed.appendMetric({ step: 41, split: 'train', loss: 0.01, lr: 1e-3, tokens_per_s: 900 });
  await page.waitForFunction("document.querySelector('#view [data-last-step]')?.textContent === '41'", { timeout: 5 * POLL_MS + 5000 });
  assert.match(await page.$eval('#runs', (n) => n.textContent ?? ''), /· 41/);

  const runShot = join(tmpdir(), 'toolken-dashboard-run.png');
  await page.screenshot({ path: runShot, fullPage: true });

  // Ticking both runs compares them on shared axes.
  for (const box of await page.$$('#runs input[type=checkbox]')) await box.click();
  await page.waitForSelector('#view section.compare', { timeout: 10_000 });
  assert.match(await page.$eval('#view section.compare', (n) => n.textContent ?? ''), /Comparing 2 runs.*Configuration differences.*sft\.lr/s);

  const compareShot = join(tmpdir(), 'toolken-dashboard-compare.png');
  await page.screenshot({ path: compareShot, fullPage: true });

  // The playground answers a typed request with the search's top-k tools and the agent's steps.
  await page.click('#show-playground');
  await page.waitForSelector('#playground textarea', { timeout: 10_000 });
  await page.type('#playground textarea', 'Add 2 and 3, then square it');
  await page.click('#playground button[type=submit]');
  await page.waitForSelector('#playground-answer section.playground-answer', { timeout: 30_000 });
  const answer = await page.$eval('#playground-answer', (n) => n.textContent ?? '');
  assert.match(answer, /Top 5 tools of the constrained search.*The agent on the request.*Finished: /s);
  const playgroundShot = join(tmpdir(), 'toolken-dashboard-playground.png');
  await page.screenshot({ path: playgroundShot, fullPage: true });

  for (const shot of [runShot, compareShot, playgroundShot]) assert.deepEqual([...readFileSync(shot).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG screenshot');
  assert.deepEqual(errors, [], 'no script error in the page');
  t.diagnostic(`screenshots: ${runShot}, ${compareShot}, ${playgroundShot}`);
});
