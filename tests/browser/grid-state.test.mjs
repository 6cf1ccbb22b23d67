// What the grid, the step counter and the PNG download say, in headless Chromium: the counter
// of a run split over two workers shows one step with that step's t and never goes back; a
// stopped run's download is named after that run and where it stopped; another model clears
// the grid and disables Download, also when a `model` attribute cuts a run short, and the
// status then says why the run stopped.
import test from 'node:test';
import assert from 'node:assert/strict';
import { generate, launch, openPage, serveSite, waitForModel } from './browser.mjs';

const server = await serveSite();
const browser = await launch();
test.after(async () => { await browser.close(); await server.close(); });

const EMPTY_GRID = 'no images generated yet';
const demo = (page, fn, arg) => page.evaluate(fn, arg);

// Two cores at least, so that two samples get two workers even on a one-core machine (the
// counter's defect needs workers that step apart).
const open = (page = 'index.html') => openPage(browser, `${server.url}/${page}`, {
  init: () => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency',
                                    { get: () => 2 }),
});

// From now on, every text the step counter shows and the timesteps of the run in progress.
async function recordCounter(page) {
  await page.evaluate(() => {
    const el = document.querySelector('ddpm-demo');
    window.__counter = { texts: [], timesteps: null };
    new MutationObserver(() => {
      const rec = window.__counter;
      rec.texts.push(el.el.counter.textContent);
      if (!rec.timesteps && el.running?.timesteps) rec.timesteps = [...el.running.timesteps];
    }).observe(el.el.counter, { childList: true, characterData: true, subtree: true });
  });
}

// Each text of one run's counter: a step that never goes back, and the t of that very step
// (the final 'step T / T · t = 0' of a finished run aside).
function checkCounter({ texts, timesteps }) {
  assert.ok(texts.length > 10 && timesteps, `${texts.length} counter texts`);
  let last = 0;
  for (const text of texts) {
    const m = /^step (\d+) \/ (\d+)(?: · t = (\d+))?$/.exec(text);
    assert.ok(m, `counter text "${text}"`);
    const [step, total] = [Number(m[1]), Number(m[2])];
    assert.ok(step >= last, `"${text}" after step ${last}: ${texts.join(' | ')}`);
    last = step;
    if (m[3] === undefined || (step === total && m[3] === '0')) continue;
    assert.equal(Number(m[3]), timesteps[step - 1], `"${text}": step ${step} is t = ` +
                 `${timesteps[step - 1]}; texts ${texts.join(' | ')}`);
  }
}

// Clicks Download PNG; the file name the page gives the download.
async function downloadName(page) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('ddpm-demo >> button.download'),
  ]);
  const name = download.suggestedFilename();
  await download.delete();
  return name;
}

// Starts a run with the Generate button and waits until every worker has taken `steps` steps.
async function startRun(page, settings, steps) {
  await demo(page, (s) => {
    const el = document.querySelector('ddpm-demo');
    for (const [k, v] of Object.entries(s)) el.el.form.elements[k].value = String(v);
    el.updateFields();
    el.el.run.click();
  }, settings);
  await page.waitForFunction((n) => document.querySelector('ddpm-demo').running?.steps >= n,
                             steps, { timeout: 60000 });
}

// What tells whether the grid still holds images, and whether they can be saved.
const gridState = (page) => demo(page, () => {
  const el = document.querySelector('ddpm-demo');
  const { width, height } = el.el.grid;
  const pixels = el.el.grid.getContext('2d').getImageData(0, 0, width, height).data;
  return { label: el.el.grid.getAttribute('aria-label'), download: el.el.download.disabled,
           painted: pixels.some((v) => v !== 0), status: el.el.status.textContent };
});

test('the counter of a run on two workers shows one step with its own t, ending at t = 0',
  async () => {
    const { page, errors } = await open();
    await waitForModel(page);
    await recordCounter(page);
    const run = await generate(page, { sampler: 'ddim', steps: 100, samples: 2, seed: 0 });
    assert.equal(run.workers, 2, 'the run was split over two workers');
    const record = await demo(page, () => window.__counter);
    assert.equal(record.texts.at(-1), 'step 100 / 100 · t = 0');
    checkCounter(record);
    // a finished run's download: its sampler and seed
    assert.equal(await downloadName(page), 'ddpm-ddim-seed0.png');
    assert.deepEqual(errors, []);
    await page.close();
  });

test('a stopped run\'s counter, status, description and download are those of that run',
  async () => {
    const { page, errors } = await open();
    await waitForModel(page);
    await generate(page, { sampler: 'ddim', steps: 3, samples: 2, seed: 0 });
    await recordCounter(page);
    await startRun(page, { sampler: 'ddpm', samples: 2, seed: 3 }, 12);
    await page.click('ddpm-demo >> button.stop');
    await page.waitForFunction(() => document.querySelector('ddpm-demo').el.status.textContent
      .startsWith('Stopped at step'), null, { timeout: 60000 });
    const state = await gridState(page);
    const step = Number(/^Stopped at step (\d+) of 1000\.$/.exec(state.status)?.[1]);
    assert.ok(step >= 12, state.status);
    assert.equal(state.download, false);
    assert.equal(await downloadName(page), `ddpm-ddpm-seed3-step${step}of1000.png`);
    assert.match(state.label, new RegExp(`^2 partly generated images \\(stopped at step ${step} ` +
                                         'of 1000\\), classes .*, seed 3$'));
    const record = await demo(page, () => window.__counter);
    checkCounter(record);
    assert.equal(record.texts.at(-1), `step ${step} / 1000 · t = ${record.timesteps[step - 1]}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

test('another model from the menu clears the grid and disables Download', async () => {
  const { page, errors } = await open();
  await waitForModel(page);
  await generate(page, { sampler: 'ddim', steps: 3, samples: 2, seed: 0 });
  const before = await gridState(page);
  assert.deepEqual([before.painted, before.download], [true, false]);
  assert.match(before.label, /^2 generated images/);
  const base16 = await demo(page, () => [...document.querySelector('ddpm-demo').el.form
    .elements.model.options].find((o) => /mnist-base16/.test(o.value)).value);
  await page.selectOption('ddpm-demo >> select[name="model"]', base16);
  await page.waitForFunction((url) => document.querySelector('ddpm-demo').model?.url === url,
                             base16, { timeout: 60000 });
  await waitForModel(page);
  assert.deepEqual(await gridState(page), { label: EMPTY_GRID, download: true, painted: false,
                                            status: 'Ready. Press Generate.' });
  // a new grid can be saved again
  await generate(page, { sampler: 'ddim', steps: 3, samples: 2, seed: 5 });
  assert.equal((await gridState(page)).download, false);
  assert.equal(await downloadName(page), 'ddpm-ddim-seed5.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a model attribute set during a run stops it, says so and clears the grid', async () => {
  const { page, errors } = await open();
  await waitForModel(page);
  await startRun(page, { sampler: 'ddpm', samples: 2, seed: 1 }, 2);
  await demo(page, () =>
    document.querySelector('ddpm-demo').setAttribute('model', 'models/mnist-base16.json'));
  // while the new model loads, nothing can start a run with the old one
  await page.waitForFunction(() => document.querySelector('ddpm-demo').running === null, null,
                             { timeout: 60000 });
  const loading = await demo(page, () => {
    const el = document.querySelector('ddpm-demo');
    return { loaded: !!el.model?.url.endsWith('mnist-base16.json'), run: el.el.run.disabled,
             select: el.el.form.elements.model.disabled };
  });
  await page.waitForFunction(() =>
    document.querySelector('ddpm-demo').model?.url.endsWith('mnist-base16.json'), null,
  { timeout: 60000 });
  await waitForModel(page);
  const state = await gridState(page);
  assert.match(state.status, new RegExp('^Stopped at step \\d+ of 1000 because the model ' +
                                         'changed\\. Ready\\. Press Generate\\.$'));
  assert.deepEqual([state.label, state.download, state.painted], [EMPTY_GRID, true, false]);
  if (!loading.loaded) assert.deepEqual([loading.run, loading.select], [true, true]);
  assert.equal(await demo(page, () => document.querySelector('ddpm-demo').el.run.disabled),
               false);
  assert.deepEqual(errors, []);
  await page.close();
});
