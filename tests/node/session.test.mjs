// The wasm DdpmSession: errors carry their message (never an abort) and leak nothing, a
// batch split by first-sample offsets equals one batch, views and tables are right,
// and 16 samples of the shipped model fit in 64 MiB of wasm memory.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModule, modelPath, openSession } from './wasm-module.mjs';

const Module = await loadModule();
const modelText = readFileSync(modelPath(), 'utf8');
const session = openSession(Module, modelText);
const info = JSON.parse(session.info());
const dim = info.model.in_channels * info.model.image_size[0] * info.model.image_size[1];

function run(config) {
  session.configure(config);
  while (!session.done()) session.step();
  return Float32Array.from(session.x());
}

test('a malformed weights file is refused with the parser message, and the module lives on',
  () => {
    const refused = (text) => {
      const s = new Module.DdpmSession(text);
      const error = s.error();
      // a refused session has no model: its methods throw that message
      assert.throws(() => s.configure({}), /weights file was refused/);
      s.delete();
      return error;
    };
    assert.match(refused('{"format": "ddpm-weights", "version": 1'), /not valid JSON/);
    assert.match(refused(modelText.replace('"ddpm-weights"', '"other"')), /format/);
    assert.match(refused('[]'), /.+/);
    assert.equal(session.error(), '');
    // a session still works afterwards
    const x = run({ sampler: 'ddim', steps: 2, seed: 1, batch: 1 });
    assert.equal(x.length, dim);
  });

test('refused files leave no memory behind', () => {
  // the whole (large) text, valid JSON, with one bad field
  const bad = modelText.replace('"ddpm-weights"', '"other"');
  const before = Module.memoryBytes();
  for (let i = 0; i < 16; i++) new Module.DdpmSession(bad).delete();
  const grownMiB = (Module.memoryBytes() - before) / 2 ** 20;
  // one parse may raise the high-water mark; sixteen leaked texts would add 16x its size
  assert.ok(grownMiB <= (bad.length / 2 ** 20) * 4, `memory grew ${grownMiB.toFixed(1)} MiB`);
});

test('configure rejects out-of-range options naming the option', () => {
  const T = info.schedule.timesteps;
  assert.throws(() => session.configure({ steps: 0 }), /steps/);
  assert.throws(() => session.configure({ steps: T + 1 }), /steps/);
  assert.throws(() => session.configure({ batch: 0 }), /batch/);
  assert.throws(() => session.configure({ batch: 100000 }), /batch/);
  assert.throws(() => session.configure({ seed: -3 }), /seed/);
  assert.throws(() => session.configure({ sampler: 'euler' }), /euler|sampler/);
  assert.throws(() => session.configure({ eta: Number.NaN }), /eta/);
  assert.throws(() => session.configure({ label: info.model.num_classes }), /label/);
  assert.throws(() => session.configure({ label: 'seven' }),
                /label seven: expected a class in 0\.\.9, each, random or none/);
  assert.throws(() => session.configure({ label: -2 }), /label/);
  assert.throws(() => session.configure({ label: true }), /label/);
  for (const label of ['each', 'random', 'none', '3', 3, -1]) {
    assert.doesNotThrow(() => session.configure({ label, guidance: label === 'none' ||
                                                  label === -1 ? 1 : 2 }), String(label));
  }
  assert.throws(() => session.configure('not an object'), /options object/);
});

test('stepping walks the timestep list down to t = 0 and exposes x_t and x0 views', () => {
  session.configure({ sampler: 'ddim', steps: 5, seed: 3, batch: 2, clipX0: true });
  assert.equal(session.numSteps(), 5);
  assert.equal(session.x().length, 2 * dim);
  let lastT = Infinity;
  let steps = 0;
  while (!session.done()) {
    const t = session.nextT();
    assert.ok(t < lastT && t >= 1, `timesteps decrease: ${t} after ${lastT}`);
    lastT = t;
    session.step();
    steps++;
    assert.equal(session.stepIndex(), steps);
  }
  assert.equal(steps, 5);
  assert.equal(session.nextT(), 0);
  assert.throws(() => session.step(), /finished/);
  // DDIM's last step lands on the clipped x0 prediction: an image in [-1, 1] with a dark
  // background, unlike the noise it started from (N(0, 1): 31% of values below -0.5)
  const x = session.x();
  const x0 = session.x0();
  assert.equal(x0.length, 2 * dim);
  let background = 0;
  for (let i = 0; i < x.length; i++) {
    assert.ok(Math.abs(x[i] - x0[i]) < 1e-6 && Math.abs(x[i]) <= 1, `pixel ${i}: ${x[i]}`);
    if (x[i] < -0.5) background++;
  }
  assert.ok(background > 0.6 * x.length, `${background} of ${x.length} pixels are dark`);
});

test('a batch split by first-sample offsets equals the whole batch', () => {
  for (const sampler of ['ddpm', 'ddim', 'dpm++2m']) {
    // DDPM strided to 4 steps here: its noise draws per step are what a split must keep
    const base = { sampler, steps: 4, seed: 11, eta: sampler === 'ddim' ? 0.5 : 0, label: 7,
                   guidance: 2 };
    const whole = run({ ...base, batch: 3, firstSample: 0 });
    const split = [...run({ ...base, batch: 2, firstSample: 0 }),
                   ...run({ ...base, batch: 1, firstSample: 2 })];
    // same noise streams; the engine's GEMM blocking follows the batch width, so sums may
    // round differently (measured: up to 1.2e-5 after 4 steps), far below a visible change
    let maxDiff = 0;
    for (let i = 0; i < whole.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(whole[i] - split[i]));
    }
    assert.ok(maxDiff <= 1e-4, `${sampler}: shares differ by ${maxDiff}`);
    // a share starting at sample 1 draws sample 1's image, not sample 0's
    const shifted = run({ ...base, batch: 1, firstSample: 1 });
    let vs0 = 0;
    let vs1 = 0;
    for (let i = 0; i < dim; i++) {
      vs0 = Math.max(vs0, Math.abs(shifted[i] - whole[i]));
      vs1 = Math.max(vs1, Math.abs(shifted[i] - whole[dim + i]));
    }
    assert.ok(vs0 > 0.1 && vs1 <= 1e-4, `${sampler}: offset 1 gives ${vs0} / ${vs1}`);
  }
});

test('the schedule tables follow the file\'s schedule', () => {
  const beta = session.scheduleTable('beta');
  const ab = session.scheduleTable('alpha_bar');
  const logSnr = session.scheduleTable('log_snr');
  const T = info.schedule.timesteps;
  assert.equal(beta.length, T + 1);
  assert.equal(ab[0], 1);
  // alpha_bar_t = prod_{s<=t} (1 - beta_s) (Ho et al. 2020, Eq. 4), recomputed here
  let prod = 1;
  for (let t = 1; t <= T; t++) {
    prod *= 1 - beta[t];
    assert.ok(Math.abs(ab[t] - prod) < 1e-12, `alpha_bar[${t}]`);
    assert.ok(Math.abs(logSnr[t] - Math.log(prod / (1 - prod))) < 1e-9, `log_snr[${t}]`);
  }
  if (info.schedule.kind === 'linear') {
    const { beta_start: b0, beta_end: b1 } = info.schedule;
    assert.ok(Math.abs(beta[1] - b0) < 1e-15 && Math.abs(beta[T] - b1) < 1e-15);
  }
  assert.throws(() => session.scheduleTable('gamma'), /unknown table/);
});

test('16 guided samples of the shipped model fit in 64 MiB of wasm memory', () => {
  session.configure({ sampler: 'dpm++2m', steps: 2, seed: 0, batch: 16, label: 3,
                      guidance: 3 });
  while (!session.done()) session.step();
  const mib = Module.memoryBytes() / 2 ** 20;
  console.log(`wasm memory after 16 guided samples: ${mib.toFixed(1)} MiB ` +
              `(engine workspace ${(info.workspace_bytes / 2 ** 20).toFixed(1)} MiB)`);
  assert.ok(mib <= 64, `wasm memory ${mib.toFixed(1)} MiB`);
});
