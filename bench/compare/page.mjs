// Runs the comparison cases in the page (main thread, one thread per library) and leaves the
// result in window.benchResult for browser-bench.mjs.
// Query: ?model=URL&onnx=URL&rounds=N&batches=1,16.
import { runCases } from './cases.mjs';

const log = (s) => {
  document.getElementById('log').textContent += `${s}\n`;
  console.log(s);
};

async function main() {
  const q = new URLSearchParams(location.search);
  const { tf, ort } = globalThis;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  await tf.setBackend('wasm');
  await tf.ready();
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  const env = {
    userAgent: navigator.userAgent, tfjs: tf.version_core,
    tfjsSimd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    tfjsThreads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    ort: ort.env.versions.web, crossOriginIsolated: globalThis.crossOriginIsolated,
  };

  const libs = { Module: await globalThis.createDdpmModule(), tf, ort };
  if (q.get('onnx')) {
    const bytes = new Uint8Array(await (await fetch(q.get('onnx'))).arrayBuffer());
    libs.ortSession = await ort.InferenceSession.create(bytes,
      { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  }
  const modelText = await (await fetch(q.get('model'))).text();
  const batches = (q.get('batches') || '1,16').split(',').map(Number);
  const run = await runCases(libs, modelText, { rounds: Number(q.get('rounds') || 9), batches,
                                                log });
  return { where: 'chromium', env, ...run };
}

main().then((r) => { window.benchResult = r; },
            (e) => { window.benchResult = { error: String(e && e.stack || e) }; });
