// The benchmark cases shared by node and Chromium: one forward pass of the UNet at batch n in
// our wasm module, in TensorFlow.js (wasm backend) and in onnxruntime-web, with the timing
// loop and the numerical check against our module. Libraries come in as arguments.
import { parseWeights } from './weights-json.mjs';
import { buildTfjsUNet } from './tfjs-unet.mjs';

// Median, quartiles and range of a list of milliseconds.
export function summarize(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => {
    const i = q * (s.length - 1);
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: s[0], max: s[s.length - 1],
           runs: s.length };
}

// Our module: one DDIM step of a session = one UNet forward of the whole batch (label none,
// guidance 1) plus the sampler's update of batch * 784 values, which is included.
function oursCase(Module, modelText) {
  const session = new Module.DdpmSession(modelText);
  return {
    name: 'ours',
    async prepare(n) {
      session.configure({ sampler: 'ddim', steps: session.scheduleTable('beta').length - 1,
                          batch: n, label: -1, seed: 1 });
    },
    async run() { session.step(); },
    // eps at x_T: from x0-hat = (x_t - sqrt(1 - abar) eps) / sqrt(abar) of an unclipped step
    reference(n) {
      session.configure({ sampler: 'ddim', steps: 2, batch: n, label: -1, seed: 3,
                          clipX0: false });
      const x = session.x().slice();
      const t = session.nextT();
      session.step();
      const x0 = session.x0();
      const sab = session.scheduleTable('sqrt_alpha_bar')[t];
      const s1m = session.scheduleTable('sqrt_one_minus_alpha_bar')[t];
      return { x, t, eps: x.map((v, i) => (v - sab * x0[i]) / s1m) };
    },
    info() { return JSON.parse(session.info()); },
    dispose() { session.delete(); },
  };
}

function tfjsCase(tf, weights) {
  const net = buildTfjsUNet(tf, weights);
  let input = null;
  let n = 0;
  return {
    name: 'tfjs',
    async prepare(batch) {
      n = batch;
      const [H, W] = weights.model.image_size;
      input = new Float32Array(n * weights.model.in_channels * H * W);
      for (let i = 0; i < input.length; ++i) input[i] = Math.sin(i);
    },
    async run() { net.forward(input, n, 500, null); },
    eps(x, batch, t) { return net.forward(x, batch, t, null); },
    dispose() { net.dispose(); },
  };
}

function ortCase(ort, session, model) {
  const [H, W] = model.image_size;
  const feeds = (x, n, t) => ({
    x: new ort.Tensor('float32', x, [n, model.in_channels, H, W]),
    t: new ort.Tensor('int64', new BigInt64Array(n).fill(BigInt(t)), [n]),
    labels: new ort.Tensor('int64', new BigInt64Array(n).fill(BigInt(model.num_classes)), [n]),
  });
  let input = null;
  return {
    name: 'ort',
    async prepare(n) {
      const x = new Float32Array(n * model.in_channels * H * W);
      for (let i = 0; i < x.length; ++i) x[i] = Math.sin(i);
      input = feeds(x, n, 500);
    },
    async run() { await session.run(input); },
    async eps(x, n, t) { return (await session.run(feeds(x, n, t))).eps.data; },
    dispose() { session.release(); },
  };
}

function maxAbsDiff(a, b) {
  let d = 0;
  for (let i = 0; i < a.length; ++i) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

// libs: {Module, tf, ort, ortSession}; each missing library's case is skipped. Returns
// {model, parity: {t, maxEps, tfjs, ort}, results: [{impl, batch, ...summarize()}]}.
// Runs interleave the implementations (one call each per round), so a change in load hits
// all alike.
export async function runCases(libs, modelText, { batches = [1, 16], rounds = 9, warmup = 2,
                                                  log = () => {} } = {}) {
  const weights = parseWeights(modelText);
  const cases = [oursCase(libs.Module, modelText)];
  if (libs.tf) cases.push(tfjsCase(libs.tf, weights));
  if (libs.ortSession) cases.push(ortCase(libs.ort, libs.ortSession, weights.model));

  // numerical agreement on one forward pass (batch 2, the t of a 2-step DDIM run)
  const info = cases[0].info();
  const model = { base_channels: weights.model.base_channels, parameters: info.parameters,
                  mflop_per_image: info.mflop_per_image };
  const ref = cases[0].reference(2);
  const parity = { t: ref.t, maxEps: Math.max(...ref.eps.map(Math.abs)) };
  for (const c of cases.slice(1)) {
    parity[c.name] = maxAbsDiff(await c.eps(ref.x, 2, ref.t), ref.eps);
  }
  log(`parity vs ours at t = ${ref.t}: ${JSON.stringify(parity)}`);

  const results = [];
  for (const batch of batches) {
    for (const c of cases) await c.prepare(batch);
    for (let i = 0; i < warmup; ++i) for (const c of cases) await c.run();
    const ms = Object.fromEntries(cases.map((c) => [c.name, []]));
    for (let r = 0; r < rounds; ++r) {
      for (const c of cases) {
        const t0 = performance.now();
        await c.run();
        ms[c.name].push(performance.now() - t0);
      }
    }
    for (const c of cases) {
      const s = summarize(ms[c.name]);
      results.push({ impl: c.name, batch, ...s });
      log(`${c.name.padEnd(5)} batch ${String(batch).padStart(2)}: median ` +
          `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}-${s.max.toFixed(1)})`);
    }
  }
  for (const c of cases) c.dispose();
  return { model, parity, results };
}
