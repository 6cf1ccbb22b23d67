// The sampling worker (a classic worker): runs the wasm module, holds one DdpmSession and
// advances it one denoising step at a time, posting x_t and x0-hat after every step.
'use strict';

const wasmBase = new URL('../wasm/', self.location.href);
let modulePromise = null;  // the module factory's instance, created once
let session = null;        // the loaded model; replaced only when a new one parses
let runId = 0;             // the run in progress (0 = none); a new message cancels it

function loadModule() {
  if (!modulePromise) {
    // fetch the binary ourselves: no MIME-type requirement on the host, same path in node
    modulePromise = fetch(new URL('ddpm.wasm', wasmBase)).then((r) => {
      if (!r.ok) throw new Error(`wasm/ddpm.wasm: HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then((wasmBinary) => {
      importScripts(new URL('ddpm.js', wasmBase).href);
      return self.createDdpmModule({ wasmBinary });
    });
  }
  return modulePromise;
}

function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}

// Yields to the event loop (so a 'stop' message gets through) without setTimeout's clamping.
const channel = new MessageChannel();
const pending = [];
channel.port1.onmessage = () => pending.shift()();
function yieldToEvents() {
  return new Promise((resolve) => { pending.push(resolve); channel.port2.postMessage(0); });
}

async function load({ id, text }) {
  const Module = await loadModule();
  // a refused file leaves the current session in place
  const next = new Module.DdpmSession(text);
  const error = next.error();
  if (error) {
    next.delete();
    // out of memory: the module's memory stays grown (to 512 MiB), so the pool replaces it
    postMessage({ type: 'error', id, message: error, fatal: error.includes('std::bad_alloc') });
    return;
  }
  runId = 0;
  if (session) session.delete();
  session = next;
  const tables = {};
  for (const name of ['beta', 'alpha_bar', 'log_snr']) tables[name] = session.scheduleTable(name);
  postMessage({ type: 'loaded', id, info: JSON.parse(session.info()), tables });
}

function copyOut(view) {
  const copy = new Float32Array(view.length);
  copy.set(view);
  return copy;
}

async function run({ id, config }) {
  if (!session) throw new Error('no model loaded');
  session.configure(config);
  runId = id;
  postMessage({ type: 'started', id, timesteps: session.timesteps() });
  const started = performance.now();
  let stepMs = 0;
  while (!session.done()) {
    const t = session.nextT();
    const t0 = performance.now();
    session.step();
    stepMs += performance.now() - t0;
    // views are taken after the step: a step may grow (and so move) wasm memory
    const x = copyOut(session.x());
    const x0 = copyOut(session.x0());
    postMessage({ type: 'step', id, step: session.stepIndex(), numSteps: session.numSteps(), t,
                  x, x0 }, [x.buffer, x0.buffer]);
    await yieldToEvents();
    if (runId !== id) return;  // stopped or superseded
  }
  runId = 0;
  postMessage({ type: 'done', id, ms: performance.now() - started, stepMs,
                memoryBytes: (await loadModule()).memoryBytes() });
}

async function normals({ id, seed, stream, n }) {
  const Module = await loadModule();
  postMessage({ type: 'normals', id, data: Module.normals(seed, stream, n) });
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === 'load') await load(msg);
    else if (msg.type === 'run') await run(msg);
    else if (msg.type === 'stop') { if (runId === msg.id) runId = 0; }
    else if (msg.type === 'normals') await normals(msg);
    else throw new Error(`unknown message type '${msg.type}'`);
  } catch (e) {
    // an abort or a trap leaves the module unusable: the pool replaces this worker
    postMessage({ type: 'error', id: msg.id, message: messageOf(e),
                  fatal: e instanceof WebAssembly.RuntimeError });
  }
};
