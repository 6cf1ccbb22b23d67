// ms per UNet forward in headless Chromium (Debian's, through playwright-core): serves the
// repository on 127.0.0.1, opens bench/compare/page.html, prints and writes its figures.
// Usage: node bench/compare/browser-bench.mjs --model m.json [--onnx m.onnx] [--rounds 9]
//        [--batches 1,16] [--out result.json] [--profile out.cpuprofile]
// --profile records a DevTools CPU profile of the run and prints the self time per wasm module
// and the hottest functions (names need a module linked with --profiling-funcs).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, sourceDir } from '../../tests/browser/browser.mjs';
import { moduleDir } from '../../tests/node/wasm-module.mjs';
import { serve } from '../../tests/browser/static-server.mjs';

const { values: opt } = parseArgs({ options: {
  model: { type: 'string' }, onnx: { type: 'string' }, rounds: { type: 'string', default: '9' },
  out: { type: 'string' }, batches: { type: 'string', default: '1,16' },
  profile: { type: 'string' },
} });
if (!opt.model) {
  console.error('browser-bench: --model <weights.json> is required');
  process.exit(2);
}
const wasmDir = resolve(moduleDir());
if (!existsSync(join(wasmDir, 'ddpm.wasm'))) {
  console.error(`browser-bench: ${wasmDir}/ddpm.wasm not found: build the wasm module first`);
  process.exit(2);
}

// Self time (samples) per script or wasm module, and the top functions overall.
function summarizeProfile(profile) {
  writeFileSync(opt.profile, JSON.stringify(profile));
  const dt = (profile.endTime - profile.startTime) / 1e3 / profile.samples.length;  // ms
  const byUrl = new Map();
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const { url, functionName } = node.callFrame;
    const file = url.split('/').pop() || '(native)';
    byUrl.set(file, (byUrl.get(file) || 0) + node.hitCount);
    const key = `${functionName || '(anonymous)'}  [${file}]`;
    byFunction.set(key, (byFunction.get(key) || 0) + node.hitCount);
  }
  const total = profile.samples.length;
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  console.log(`profile: ${total} samples of ${dt.toFixed(2)} ms, written to ${opt.profile}`);
  for (const [file, n] of top(byUrl, 8)) {
    console.log(`  ${(100 * n / total).toFixed(1).padStart(5)}%  ${file}`);
  }
  console.log('hottest functions (self time):');
  for (const [name, n] of top(byFunction, 20)) {
    console.log(`  ${(100 * n / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}

const fixed = { '/bench-model.json': readFileSync(opt.model, 'utf8') };
if (opt.onnx) fixed['/bench-model.onnx'] = readFileSync(opt.onnx);
const server = await serve({ root: sourceDir, mounts: { '/wasm/': wasmDir }, fixed });
const browser = await launch();
let result;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`chromium ${m.text()}`));
  page.on('pageerror', (e) => console.error(`chromium page error: ${e}`));
  const query = `model=/bench-model.json&rounds=${opt.rounds}&batches=${opt.batches}` +
                (opt.onnx ? '&onnx=/bench-model.onnx' : '');
  const cdp = opt.profile ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  await page.goto(`${server.url}/bench/compare/page.html?${query}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600000 });
  result = await page.evaluate(() => window.benchResult);
  if (cdp) summarizeProfile((await cdp.send('Profiler.stop')).profile);
  result.env.chromium = browser.version();
} finally {
  await browser.close();
  await server.close();
}
if (result.error) {
  console.error(`browser-bench: the page failed: ${result.error}`);
  process.exit(1);
}
result.model = opt.model;
if (opt.out) {
  writeFileSync(`${opt.out}.tmp`, JSON.stringify(result, null, 1));
  renameSync(`${opt.out}.tmp`, opt.out);
}
