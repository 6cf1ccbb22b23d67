// A/B of wasm module builds in one node process: ms per denoising step (one UNet forward) of
// each build, runs interleaved so that load changes hit all alike.
// Usage: node --no-experimental-fetch bench/compare/wasm-ab.mjs model.json DIR1 DIR2 ...
//        (each DIR holds a ddpm.js and ddpm.wasm)
import { readFileSync } from 'node:fs';
import { loadModule } from '../../tests/node/wasm-module.mjs';
import { summarize } from './cases.mjs';

const [modelFile, ...dirs] = process.argv.slice(2);
if (!modelFile || dirs.length === 0) {
  console.error('wasm-ab: usage: wasm-ab.mjs model.json DIR1 [DIR2 ...]');
  process.exit(2);
}
const text = readFileSync(modelFile, 'utf8');
const sessions = [];
for (const dir of dirs) {
  process.env.DDPM_WASM_MODULE_DIR = dir;  // read by loadModule()
  const Module = await loadModule();
  sessions.push(new Module.DdpmSession(text));
}
const rounds = Number(process.env.DDPM_BENCH_ROUNDS || 9);
for (const batch of [1, 16]) {
  for (const s of sessions) {
    s.configure({ sampler: 'ddim', steps: 1000, batch, label: -1 });
    s.step();
  }
  const ms = dirs.map(() => []);
  for (let r = 0; r < rounds; ++r) {
    sessions.forEach((s, i) => {
      const t0 = performance.now();
      s.step();
      ms[i].push(performance.now() - t0);
    });
  }
  dirs.forEach((dir, i) => {
    const x = summarize(ms[i]);
    console.log(`batch ${String(batch).padStart(2)}  ${x.median.toFixed(1).padStart(7)} ms ` +
                `(${x.min.toFixed(1)}-${x.max.toFixed(1)})  ${dir}`);
  });
}
