// The demo page in headless Chromium: it generates digit-like images with the trained model,
// stays responsive while sampling, shows an error for a malformed model file (and keeps the
// previous model working), has no console errors; saves a screenshot to look at.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellStats, generate, gridPixels, isDigitLike, launch, openPage, serveSite, sourceDir,
         waitForModel } from './browser.mjs';

const outDir = process.env.DDPM_BROWSER_OUT || join(sourceDir, 'build', 'browser-test');
mkdirSync(outDir, { recursive: true });

// The page's model list plus a malformed file, served beside the real ones.
const realIndex = JSON.parse(readFileSync(join(sourceDir, 'web', 'models', 'index.json'), 'utf8'));
const testIndex = {
  models: [...realIndex.models, { file: 'broken.json', name: 'broken model' }],
};
const fixed = {
  '/models/test-index.json': JSON.stringify(testIndex),
  '/models/broken.json': '{"format": "ddpm-weights", "version": 1, "model": {"type": "unet", ',
};
// DDPM_TEST_MODEL: another weights file served in place of the first listed model
if (process.env.DDPM_TEST_MODEL) {
  const text = readFileSync(process.env.DDPM_TEST_MODEL);
  fixed[`/models/${realIndex.models[0].file}`] = text;
  fixed[`/course/ddpm/models/${realIndex.models[0].file}`] = text;
}
// a course page embedding the element from a sub-path of the site
fixed['/course/lesson.html'] = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Lesson</title><link rel="icon" href="data:,">
<script type="module" src="ddpm/ddpm-demo.js"></script></head>
<body><h1>Lesson 7</h1><ddpm-demo model="ddpm/models/${realIndex.models[0].file}"></ddpm-demo>
</body></html>`;
const server = await serveSite(fixed);
const browser = await launch();
test.after(async () => { await browser.close(); await server.close(); });

test('the page generates digit-like images, stays responsive, survives a malformed model',
  async () => {
    const { page, errors } = await openPage(browser,
      `${server.url}/index.html?models=models/test-index.json`);
    await waitForModel(page);

    // a tick counter on the main thread, read while the workers sample
    await page.evaluate(() => {
      window.__ticks = [];
      window.__timer = setInterval(() => window.__ticks.push(performance.now()), 20);
    });
    // the page's default settings, untouched: 16 digits, DPM-Solver++ 10 steps, each class in
    // turn with guidance 2
    const form = await page.evaluate(() => {
      const f = document.querySelector('ddpm-demo').el.form.elements;
      return ['sampler', 'steps', 'label', 'guidance', 'samples'].map((k) => f[k].value);
    });
    assert.deepEqual(form, ['dpm++2m', '10', 'each', '2', '16']);
    const runPromise = generate(page);
    await page.waitForFunction(() => {
      const el = document.querySelector('ddpm-demo');
      return el.running && el.running.steps >= 1;
    }, null, { timeout: 120000 });
    const t0 = Date.now();
    const midRun = await page.evaluate(() => document.querySelector('ddpm-demo').running !== null);
    const evaluateMs = Date.now() - t0;
    const run = await runPromise;
    const ticks = await page.evaluate(() => {
      clearInterval(window.__timer);
      return window.__ticks;
    });
    assert.ok(midRun, 'evaluate() answered while sampling was in progress');
    let maxGap = 0;
    for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
    // a frozen main thread would stop the 20 ms timer for the whole run
    assert.ok(maxGap < 1000, `main-thread timer gap ${maxGap.toFixed(0)} ms`);
    assert.ok(evaluateMs < 1000, `evaluate() mid-run took ${evaluateMs} ms`);
    console.log(`run: ${JSON.stringify(run)}; timer ticks ${ticks.length}, max gap ` +
                `${maxGap.toFixed(0)} ms`);

    // digit-like: dark background, some bright strokes, smooth (unlike noise)
    await page.screenshot({ path: join(outDir, 'page.png'), fullPage: true });
    const g = await gridPixels(page);
    assert.equal(g.n, 16);
    const cells = Array.from({ length: g.n }, (_, i) => [i % g.cols, Math.floor(i / g.cols)]);
    const stats = cellStats(g.grey, g.width, cells, g.size, g.pad);
    const digitLike = stats.filter(isDigitLike);
    console.log('cells (dark, bright, hf):',
                stats.map((s) => `${s.dark.toFixed(2)}/${s.bright.toFixed(2)}/${s.hf.toFixed(2)}`)
                  .join(' '));
    assert.ok(digitLike.length >= 12, `${digitLike.length} of 16 cells look like digits`);
    // and pure noise fails the same check (the statistic can tell them apart)
    const noise = Array.from({ length: 28 * 28 }, () => Math.round(Math.random() * 255));
    const [ns] = cellStats(noise, 28, [[0, 0]], 28, 0);
    assert.ok(!isDigitLike(ns), 'noise is not digit-like');

    // a malformed model file: an error message, the previous model keeps working
    await page.selectOption('ddpm-demo >> select[name="model"]', { label: 'broken model' });
    await page.waitForFunction(() =>
      document.querySelector('ddpm-demo').el.modelError.textContent.includes('broken model'),
    null, { timeout: 60000 });
    const message = await page.evaluate(() =>
      document.querySelector('ddpm-demo').el.modelError.textContent);
    console.log(`malformed model message: ${message}`);
    assert.match(message, /Could not load model "broken model"/);
    assert.match(message, /previous model stays loaded/);
    await page.screenshot({ path: join(outDir, 'page-error.png'), fullPage: true });
    const again = await generate(page, { samples: 4, seed: 2 });
    assert.equal(again.batch, 4);

    // PNG download of the grid
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('ddpm-demo >> button.download'),
    ]);
    const pngPath = join(outDir, 'grid.png');
    await download.saveAs(pngPath);
    assert.deepEqual([...readFileSync(pngPath).subarray(0, 8)],
                     [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');

    // keyboard: Enter in a field starts a run (DDPM, all T steps: long), Escape stops it
    await page.selectOption('ddpm-demo >> select[name="sampler"]', 'ddpm');
    await page.fill('ddpm-demo >> input[name="samples"]', '2');
    await page.focus('ddpm-demo >> input[name="seed"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('ddpm-demo').running?.steps >= 2,
                               null, { timeout: 60000 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() =>
      document.querySelector('ddpm-demo').el.status.textContent.startsWith('Stopped at step'),
    null, { timeout: 60000 });

    // bad settings: visible messages, nothing runs
    await page.selectOption('ddpm-demo >> select[name="sampler"]', 'ddim');
    await page.fill('ddpm-demo >> input[name="steps"]', '-5');
    await page.fill('ddpm-demo >> input[name="samples"]', '');
    const shown = await page.evaluate(() =>
      document.querySelector('ddpm-demo').el.errors.textContent);
    assert.match(shown, /Steps: -5 is out of range/);
    assert.match(shown, /Samples: enter an integer/);
    await page.click('ddpm-demo >> button.run');
    assert.match(await page.evaluate(() =>
      document.querySelector('ddpm-demo').el.status.textContent), /Fix the settings/);

    assert.deepEqual(errors, [], 'no console errors');
  });

test('the custom element works embedded in a page under another path', async () => {
  const { page, errors } = await openPage(browser, `${server.url}/course/lesson.html`);
  await waitForModel(page);
  const run = await generate(page, { sampler: 'ddim', steps: 3, samples: 2 });
  assert.equal(run.batch, 2);
  // the element fetched everything from beside its script, under /course/ddpm/
  const urls = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  for (const path of ['/course/ddpm/models/index.json', '/course/ddpm/data/test-digits.json']) {
    assert.ok(urls.includes(path), `${path} fetched; got ${urls.join(' ')}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page is usable on a phone-sized screen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 },
                                       deviceScaleFactor: 2, isMobile: true });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}/index.html`);
  await waitForModel(page);
  // nothing wider than the screen: no horizontal scrolling
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `page is ${width} px wide on a 390 px screen`);
  await page.screenshot({ path: join(outDir, 'page-phone.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
