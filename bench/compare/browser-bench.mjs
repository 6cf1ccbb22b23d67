// ms per UNet forward in headless Chromium (Debian's, through playwright-core): serves the
// repository on 127.0.0.1, opens bench/compare/page.html, prints and writes its figures.
// Usage: node bench/compare/browser-bench.mjs --model m.json [--onnx m.onnx] [--rounds 9]
//        [--out result.json]
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, sourceDir } from '../../tests/browser/browser.mjs';
import { moduleDir } from '../../tests/node/wasm-module.mjs';
import { serve } from '../../tests/browser/static-server.mjs';

const { values: opt } = parseArgs({ options: {
  model: { type: 'string' }, onnx: { type: 'string' }, rounds: { type: 'string', default: '9' },
  out: { type: 'string' },
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

const fixed = { '/bench-model.json': readFileSync(opt.model, 'utf8') };
if (opt.onnx) fixed['/bench-model.onnx'] = readFileSync(opt.onnx);
const server = await serve({ root: sourceDir, mounts: { '/wasm/': wasmDir }, fixed });
const browser = await launch();
let result;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`chromium ${m.text()}`));
  page.on('pageerror', (e) => console.error(`chromium page error: ${e}`));
  const query = `model=/bench-model.json&rounds=${opt.rounds}` +
                (opt.onnx ? '&onnx=/bench-model.onnx' : '');
  await page.goto(`${server.url}/bench/compare/page.html?${query}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600000 });
  result = await page.evaluate(() => window.benchResult);
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
