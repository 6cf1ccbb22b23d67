// The wasm module samples the same images as the native CLI (`ddpm sample --engine eigen`):
// same weights, seed and settings -> max |difference| <= 1e-3 after the last step. The golden
// output is made at test time by the native binary of the same build (DDPM_CLI).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule, modelPath, openSession } from './wasm-module.mjs';

const cli = process.env.DDPM_CLI;
if (!cli || !existsSync(cli)) {
  throw new Error(`DDPM_CLI=${cli}: set it to the native ddpm binary (ctest does)`);
}
const Module = await loadModule();
const weightsFile = modelPath();
const session = openSession(Module, readFileSync(weightsFile, 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'ddpm-parity-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

// The native run: raw little-endian float32 x_0, n * C * H * W values.
function nativeSample(s) {
  const out = join(work, `${s.sampler}-${s.seed}.f32`);
  const args = ['sample', '--model', weightsFile, '--engine', 'eigen',
                '--sampler', s.sampler, '--steps', String(s.steps), '--eta', String(s.eta),
                '--seed', String(s.seed), '--n', String(s.batch), '--raw', out,
                '--spacing', s.spacing,
                '--out', join(work, `${s.sampler}-${s.seed}.png`)];
  if (s.label !== -1) args.push('--label', String(s.label), '--guidance', String(s.guidance));
  if (s.clipX0) args.push('--clip');
  execFileSync(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });  // stderr in the error
  const bytes = readFileSync(out);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

// The same run in the module; split: in two sessions by first-sample offsets, as the page's
// workers run it (the labels of 'each' and 'random' follow the global sample index).
function wasmSample(s) {
  const shares = s.split ? [[0, s.split], [s.split, s.batch - s.split]] : [[0, s.batch]];
  const out = new Float32Array(s.batch * session.dim());
  for (const [firstSample, batch] of shares) {
    session.configure({ sampler: s.sampler, steps: s.steps, spacing: s.spacing, eta: s.eta,
                        seed: s.seed, batch, firstSample, label: s.label, guidance: s.guidance,
                        clipX0: s.clipX0 });
    while (!session.done()) session.step();
    out.set(session.x(), firstSample * session.dim());
  }
  return out;
}

const T = JSON.parse(session.info()).schedule.timesteps;
const cases = [
  { sampler: 'dpm++2m', steps: 10, spacing: 'trailing', eta: 0, seed: 7, batch: 4, label: 3,
    guidance: 3, clipX0: true },
  { sampler: 'ddim', steps: 8, spacing: 'linspace', eta: 0.5, seed: 1234, batch: 3, label: -1,
    guidance: 1, clipX0: true },
  // DDPM as the page runs it: all T steps (one image, to keep the test short)
  { sampler: 'ddpm', steps: T, spacing: 'leading', eta: 0, seed: 5, batch: 1, label: -1,
    guidance: 1, clipX0: true },
  { sampler: 'ddpm', steps: 20, spacing: 'leading', eta: 0, seed: 6, batch: 2, label: 9,
    guidance: 2, clipX0: false },
  // the page's default classes (each in turn) and random ones, split over two "workers"
  { sampler: 'dpm++2m', steps: 6, spacing: 'trailing', eta: 0, seed: 3, batch: 12,
    label: 'each', guidance: 2, clipX0: true, split: 5 },
  { sampler: 'ddim', steps: 5, spacing: 'trailing', eta: 0, seed: 8, batch: 6,
    label: 'random', guidance: 2, clipX0: true, split: 4 },
];

for (const s of cases) {
  test(`${s.sampler}, ${s.steps} steps, seed ${s.seed}, label ${s.label}: wasm equals the CLI`,
       () => {
    const golden = nativeSample(s);
    const got = wasmSample(s);
    assert.equal(got.length, golden.length, 'same number of values');
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - golden[i]));
    console.log(`${s.sampler}: max |wasm - native| = ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-3, `max abs diff ${maxDiff}`);
  });
}
