// ms per UNet forward in node: our wasm module vs TensorFlow.js (wasm backend, non-threaded
// SIMD build) vs onnxruntime-web (wasm, 1 thread), same weights. Prints and writes JSON.
// Usage: node --no-experimental-fetch bench/compare/node-bench.mjs --model m.json
//        [--onnx m.onnx] [--rounds 9] [--out result.json]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-web';
import { loadModule } from '../../tests/node/wasm-module.mjs';
import { runCases } from './cases.mjs';

const { values: opt } = parseArgs({ options: {
  model: { type: 'string' }, onnx: { type: 'string' }, rounds: { type: 'string', default: '9' },
  out: { type: 'string' },
} });
if (!opt.model) {
  console.error('node-bench: --model <weights.json> is required');
  process.exit(2);
}
const rounds = Number(opt.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`node-bench: --rounds: expected a positive integer, got ${opt.rounds}`);
  process.exit(2);
}

// one thread everywhere: tfjs's non-threaded SIMD binary, ort's single-thread mode
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
await tf.ready();
ort.env.wasm.numThreads = 1;
const env = {
  node: process.version, tfjs: tf.version_core,
  tfjsSimd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
  tfjsThreads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), ort: ort.env.versions.web,
};

const libs = { Module: await loadModule(), tf, ort };
if (opt.onnx) {
  libs.ortSession = await ort.InferenceSession.create(readFileSync(opt.onnx),
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}
const modelText = readFileSync(opt.model, 'utf8');
const run = await runCases(libs, modelText, { rounds, log: (s) => console.log(`node ${s}`) });
const result = { where: 'node', model: opt.model, env, ...run };
if (opt.out) {
  writeFileSync(`${opt.out}.tmp`, JSON.stringify(result, null, 1));
  renameSync(`${opt.out}.tmp`, opt.out);
}
