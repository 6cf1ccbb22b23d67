// Benchmark of the wasm sampler: ms per denoising step for batch 1 and 16 in node and in
// headless Chromium (1 and 2 workers), and click-to-finished for a 16-digit grid with the
// page's default settings: median and min of DDPM_BENCH_REPEATS runs (3). Asserts nothing.
// Usage: node tests/browser/bench.mjs [model.json]   (after scripts/build.sh)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModule, openSession } from '../node/wasm-module.mjs';
import { generate, launch, openPage, serveSite, sourceDir, waitForModel } from './browser.mjs';

const modelFile = process.argv[2] || process.env.DDPM_TEST_MODEL ||
  join(sourceDir, 'web', 'models', 'mnist-base12.json');
const modelText = readFileSync(modelFile, 'utf8');
const STEPS = 6;
const REPEATS = Number(process.env.DDPM_BENCH_REPEATS || 3);

// median and min of repeated measurements (the machine may be shared)
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${median.toFixed(1)} (min ${sorted[0].toFixed(1)}, ${sorted.length} runs)`;
}

// node: one session, DDIM, the first step excluded as warm-up
const Module = await loadModule();
const session = openSession(Module, modelText);
const info = JSON.parse(session.info());
console.log(`model ${modelFile}: ${(info.parameters / 1e6).toFixed(2)} M parameters, ` +
            `${info.mflop_per_image.toFixed(0)} MFLOP per image`);
for (const batch of [1, 16]) {
  const times = [];
  for (let r = 0; r < REPEATS; r++) {
    session.configure({ sampler: 'ddim', steps: STEPS + 1, seed: 0, batch });
    session.step();
    const t0 = performance.now();
    while (!session.done()) session.step();
    times.push((performance.now() - t0) / STEPS);
  }
  const ms = Math.min(...times);
  console.log(`node     batch ${String(batch).padStart(2)}: ${summary(times)} ms/step ` +
              `(best ${(batch * info.mflop_per_image / ms).toFixed(2)} GFLOP/s), ` +
              `wasm memory ${(Module.memoryBytes() / 2 ** 20).toFixed(0)} MiB`);
}
session.delete();

// Chromium: the page with ?workers=N; wall time per step of the whole batch
const server = await serveSite({ '/models/bench.json': modelText });
const browser = await launch();
try {
  for (const workers of [1, 2]) {
    const { page } = await openPage(browser,
      `${server.url}/index.html?model=models/bench.json&workers=${workers}`);
    await waitForModel(page);
    for (const batch of [1, 16]) {
      // warm-up
      await generate(page, { sampler: 'ddim', steps: 1, samples: batch, label: 'none' });
      const times = [];
      let used = 0;
      for (let r = 0; r < REPEATS; r++) {
        const run = await generate(page, { sampler: 'ddim', steps: STEPS, samples: batch,
                                           label: 'none' });
        times.push(run.ms / STEPS);
        used = run.workers;
      }
      console.log(`chromium batch ${String(batch).padStart(2)}, ${workers} worker(s): ` +
                  `${summary(times)} ms/step (${used} used)`);
    }
    await page.close();
  }
  // click to finished grid, default settings, workers as the page picks them
  const { page } = await openPage(browser, `${server.url}/index.html?model=models/bench.json`);
  await waitForModel(page);
  const defaults = await page.evaluate(async () => {
    const { DEFAULTS } = await import('./js/settings.js');
    return DEFAULTS;
  });
  await generate(page, { samples: 16 });
  const times = [];
  let used = 0;
  for (let r = 0; r < REPEATS; r++) {
    const run = await generate(page, { samples: 16, seed: r });
    times.push(run.clickToDoneMs);
    used = run.workers;
  }
  console.log(`chromium click to finished 16-digit grid (defaults ${JSON.stringify(defaults)}, ` +
              `${used} workers): ${summary(times)} ms`);
  await page.close();
} finally {
  await browser.close();
  await server.close();
}
