// The page's controls in headless Chromium: Escape stops a run started with the Generate
// button, DDPM's T steps give the user's steps back, a changed `model` attribute selects what
// it loads, a `model` that cannot be loaded falls back to the list's first model, and the
// class names of the model list label the Class select.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, serveSite, waitForModel } from './browser.mjs';

const server = await serveSite({
  '/models/short-classes.json': JSON.stringify({ models: [
    { file: 'mnist-base12.json', name: 'three names for ten classes', classes: ['a', 'b', 'c'] },
  ] }),
});
const browser = await launch();
test.after(async () => { await browser.close(); await server.close(); });

const demo = (page, fn) => page.evaluate(fn);

test('Escape stops a run started by clicking Generate', async () => {
  const { page, errors } = await openPage(browser, `${server.url}/index.html`);
  await waitForModel(page);
  // a long run: DDPM, all T steps
  await page.selectOption('ddpm-demo >> select[name="sampler"]', 'ddpm');
  await page.fill('ddpm-demo >> input[name="samples"]', '2');
  await page.click('ddpm-demo >> button.run');
  await page.waitForFunction(() => document.querySelector('ddpm-demo').running?.steps >= 2,
                             null, { timeout: 60000 });
  const focused = await demo(page, () =>
    document.querySelector('ddpm-demo').root.activeElement?.className);
  assert.match(String(focused), /stop/, 'focus moved from Generate to Stop');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() =>
    document.querySelector('ddpm-demo').el.status.textContent.startsWith('Stopped at step'),
  null, { timeout: 60000 });
  // the run is over: focus is back on Generate
  assert.match(String(await demo(page, () =>
    document.querySelector('ddpm-demo').root.activeElement?.className)), /run/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('DDPM shows all T steps and switching back restores the steps chosen before', async () => {
  const { page, errors } = await openPage(browser, `${server.url}/index.html`);
  await waitForModel(page);
  await page.fill('ddpm-demo >> input[name="steps"]', '12');
  await page.selectOption('ddpm-demo >> select[name="sampler"]', 'ddpm');
  const steps = () => demo(page, () =>
    document.querySelector('ddpm-demo').el.form.elements.steps.value);
  assert.equal(await steps(), '1000');
  await page.selectOption('ddpm-demo >> select[name="sampler"]', 'ddim');
  assert.equal(await steps(), '12');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a changed model attribute loads that model and names it in the list', async () => {
  const { page, errors } = await openPage(browser, `${server.url}/index.html`);
  await waitForModel(page);
  await demo(page, () =>
    document.querySelector('ddpm-demo').setAttribute('model', 'models/mnist-base16.json'));
  await page.waitForFunction(() =>
    document.querySelector('ddpm-demo').model?.url.endsWith('mnist-base16.json'), null,
  { timeout: 60000 });
  await waitForModel(page);
  const shown = await demo(page, () => {
    const el = document.querySelector('ddpm-demo');
    return { option: el.el.form.elements.model.selectedOptions[0].value,
             info: el.el.modelInfo.textContent };
  });
  assert.match(shown.option, /mnist-base16\.json$/);
  assert.match(shown.info, /^MNIST digits, base 16.*0\.28 M parameters, 96 MFLOP/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a model that cannot be loaded falls back to the first listed one, saying why',
  async () => {
    const { page, errors } = await openPage(browser, `${server.url}/index.html?model=nope.json`);
    await page.waitForFunction(() => document.querySelector('ddpm-demo').model, null,
                               { timeout: 120000 });
    const state = await demo(page, () => {
      const el = document.querySelector('ddpm-demo');
      return { url: el.model.url, message: el.el.modelError.textContent };
    });
    assert.match(state.url, /mnist-base12\.json$/);
    assert.match(state.message, /Could not load model "nope\.json".*404/);
    assert.match(state.message, /Loaded "MNIST digits, base 12 \(default\)" instead/);
    // the 404 of the missing file is the only console message
    assert.ok(errors.every((e) => /404/.test(e)), errors.join('\n'));
    await page.close();
  });

test('the model list\'s class names label the classes; a list that does not fit is refused',
  async () => {
    const { page, errors } = await openPage(browser, `${server.url}/index.html`);
    await waitForModel(page);
    const classOptions = () => demo(page, () => [...document.querySelector('ddpm-demo').el.form
      .elements.label.options].map((o) => o.text));
    assert.ok((await classOptions()).includes('3'), 'the digits model: class numbers');
    const fashion = await demo(page, () => [...document.querySelector('ddpm-demo').el.form
      .elements.model.options].find((o) => /fashion/.test(o.value)).value);
    await page.selectOption('ddpm-demo >> select[name="model"]', fashion);
    await page.waitForFunction((url) => document.querySelector('ddpm-demo').model?.url === url,
                               fashion, { timeout: 60000 });
    const names = await classOptions();
    assert.ok(names.includes('3 Dress') && names.includes('9 Ankle boot'), names.join(', '));
    await page.selectOption('ddpm-demo >> select[name="label"]', '9');
    await page.fill('ddpm-demo >> input[name="samples"]', '2');
    await page.click('ddpm-demo >> button.run');
    await page.waitForFunction(() =>
      document.querySelector('ddpm-demo').el.status.textContent.startsWith('Done'),
    null, { timeout: 60000 });
    assert.match(await demo(page, () =>
      document.querySelector('ddpm-demo').el.grid.getAttribute('aria-label')),
    /of class 9 \(Ankle boot\)/);
    assert.deepEqual(errors, []);
    await page.close();

    const short = await openPage(browser,
                                 `${server.url}/index.html?models=models/short-classes.json`);
    await waitForModel(short.page);
    const state = await demo(short.page, () => {
      const el = document.querySelector('ddpm-demo');
      return { message: el.el.modelError.textContent,
               options: [...el.el.form.elements.label.options].map((o) => o.text) };
    });
    assert.match(state.message, /"classes" of this model must be 10 names/);
    assert.ok(state.options.includes('3') && !state.options.includes('3 c'));
    assert.deepEqual(short.errors, []);
    await short.page.close();
  });
