// Turns the result files of bench/compare/run.sh into the Markdown tables of
// docs/benchmarks.md: medians, spread (min-max) and the ratio ours/theirs.
// Usage: node bench/compare/table.mjs <results folder>
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from './cases.mjs';

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error('table: usage: node bench/compare/table.mjs <results folder>');
  process.exit(2);
}
const read = (f) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '–');
const ratio = (a, b) => (a && b ? (a.median / b.median).toFixed(2) : '–');
const out = [];

// machine and load
if (existsSync(join(dir, 'machine.json'))) {
  const m = read('machine.json');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores; ${m.date}; load average (1/5/15 min) ` +
           `${m.load_before} before, ${m.load_after} after.`, '');
}

// in-browser forward: one table per model (node-<tag>.json, chromium-<tag>.json)
for (const f of readdirSync(dir).filter((n) => /^node-.*\.json$/.test(n)).sort()) {
  const tag = f.slice(5, -5);
  const r = { node: read(f) };
  if (existsSync(join(dir, `chromium-${tag}.json`))) r.chromium = read(`chromium-${tag}.json`);
  const p = r.node.parity;
  out.push(`### Forward pass, one thread, ms (lower is better): ${tag}`, '',
           `Base channels ${r.node.model.base_channels}, ` +
           `${(r.node.model.parameters / 1e6).toFixed(2)} M parameters, ` +
           `${r.node.model.mflop_per_image.toFixed(0)} MFLOP per image. ` +
           `Same weights in all three; one forward at t = ${p.t}, batch 2 (max |eps| ` +
           `${p.maxEps.toFixed(2)}): max |tfjs − ours| = ${p.tfjs.toExponential(1)}, ` +
           `max |onnxruntime − ours| = ${p.ort !== undefined ? p.ort.toExponential(1) : '–'}.`,
           '', '| where | batch | ours ms | tfjs-wasm ms | ours/tfjs | onnxruntime-web ms | ' +
           'ours/ort |', '|---|---|---|---|---|---|---|');
  for (const where of ['node', 'chromium']) {
    if (!r[where]) continue;
    for (const batch of [...new Set(r[where].results.map((x) => x.batch))]) {
      const get = (impl) => r[where].results.find((x) => x.impl === impl && x.batch === batch);
      const [o, t, x] = [get('ours'), get('tfjs'), get('ort')];
      out.push(`| ${where} | ${batch} | ${cell(o)} | ${cell(t)} | ${ratio(o, t)} | ` +
               `${cell(x)} | ${ratio(o, x)} |`);
    }
  }
  out.push('');
}

// native forward: Google Benchmark repetitions of bench/bench_forward, Eigen vs LibTorch
if (existsSync(join(dir, 'engine.json'))) {
  const runs = new Map();
  const cpu = new Map();
  const mflop = new Map();
  for (const b of read('engine.json').benchmarks) {
    if (b.run_type !== 'iteration') continue;
    const ms = b.real_time * { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 }[b.time_unit];
    if (!runs.has(b.run_name)) runs.set(b.run_name, []);
    runs.get(b.run_name).push(ms);
    mflop.set(b.run_name, b.MFLOP);
    if (b.proc_cpu_ms !== undefined) {
      if (!cpu.has(b.run_name)) cpu.set(b.run_name, []);
      cpu.get(b.run_name).push(b.proc_cpu_ms);
    }
  }
  const gflops = (name, s) => (s ? (mflop.get(name) / s.median).toFixed(1) : '–');
  const cpuMs = (name) => (cpu.has(name) ? summarize(cpu.get(name)) : null);
  out.push('### Native forward, base-32 model (random weights), Eigen engine vs LibTorch CPU, ms ' +
           '(lower is better)',
           '', 'Wall ms, GFLOP/s at the wall median, and the process CPU ms per forward (all ' +
           'threads), which a loaded machine inflates less.', '',
           '| batch | threads | Eigen ms | GFLOP/s | LibTorch ms | GFLOP/s | Eigen/LibTorch | ' +
           'Eigen CPU ms | LibTorch CPU ms | CPU ratio |',
           '|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, ms] of runs) {
    const m = name.match(/^BM_EigenForward\/batch:(\d+)\/threads:(\d+)/);
    if (!m) continue;
    const other = name.replace('BM_EigenForward', 'BM_TorchForward');
    const e = summarize(ms);
    const t = runs.has(other) ? summarize(runs.get(other)) : null;
    const [ec, tc] = [cpuMs(name), cpuMs(other)];
    out.push(`| ${m[1]} | ${m[2]} | ${cell(e)} | ${gflops(name, e)} | ${cell(t)} | ` +
             `${gflops(other, t)} | ${ratio(e, t)} | ${cell(ec)} | ${cell(tc)} | ` +
             `${ratio(ec, tc)} |`);
  }
  out.push('');
}

// training images/s: ddpm train (LibTorch C++) vs the PyTorch Python loop
if (existsSync(join(dir, 'train.jsonl'))) {
  const lines = readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);
  out.push(`### Training on CPU, images/s (higher is better), ${lines[0].what}`, '',
           'Each run: the given steps, the first 5 of them warm-up (not timed).', '',
           '| threads | steps per run | runs | ddpm train img/s | PyTorch (Python) img/s | ' +
           'ours/theirs |', '|---|---|---|---|---|---|');
  for (const threads of [...new Set(lines.map((l) => l.threads))]) {
    const get = (impl) => {
      const v = lines.filter((l) => l.impl === impl && l.threads === threads);
      return v.length ? summarize(v.map((l) => l.images_per_second)) : null;
    };
    const [o, p] = [get('ddpm'), get('python')];
    const steps = lines.find((l) => l.threads === threads).steps;
    out.push(`| ${threads} | ${steps} | ${o ? o.runs : 0} | ${cell(o)} | ${cell(p)} | ` +
             `${ratio(o, p)} |`);
  }
  out.push('');
}
console.log(out.join('\n'));
