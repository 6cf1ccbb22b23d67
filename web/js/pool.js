// A pool of sampling workers: loads a model into every worker and splits a batch across them
// by first-sample offsets, so the images are those of a single-worker run (each sample draws
// its own noise stream; only float rounding of the batched network can differ, ~1e-5).

const workerUrl = new URL('./worker.js', import.meta.url);

// How many workers a batch of n gets: one per core, capped at `cap`, never more than n.
export function workerCountFor(n, cap) {
  const cores = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;
  return Math.max(1, Math.min(n, cap, cores));
}

// Splits n samples into k contiguous shares: [{firstSample, batch}, ...].
export function splitBatch(n, k) {
  const shares = [];
  let first = 0;
  for (let i = 0; i < k; i++) {
    const batch = Math.floor(n / k) + (i < n % k ? 1 : 0);
    if (batch > 0) shares.push({ firstSample: first, batch });
    first += batch;
  }
  return shares;
}

export class WorkerPool {
  constructor() {
    this.workers = [];
    this.nextId = 1;
    this.modelText = null;  // the text every worker holds (new workers load it on creation)
    this.handlers = new Map();  // request id -> {worker, fn}
    this.active = [];           // the shares of the run in progress
    this.starting = null;       // the run waiting for its workers to start, if any
  }

  // A new worker; `ready` settles once it holds the current model (if there is one).
  spawn() {
    const worker = new Worker(workerUrl);
    worker.onmessage = (e) => {
      const h = this.handlers.get(e.data.id);
      if (h) h.fn(e.data);
    };
    // a worker that fails to start (e.g. wasm/ddpm.js missing) fails its requests
    worker.onerror = (e) => {
      e.preventDefault();
      const message = `sampling worker failed: ${e.message || 'could not start'}`;
      for (const h of [...this.handlers.values()]) {
        if (h.worker === worker) h.fn({ type: 'error', message });
      }
    };
    this.workers.push(worker);
    worker.ready = this.modelText === null ? Promise.resolve()
      : this.request(worker, { type: 'load', text: this.modelText }, 'loaded');
    worker.ready.catch(() => {});  // awaited (and reported) by whoever needs the worker
    return worker;
  }

  // Ends a worker whose module can no longer be trusted (it aborted, or its memory grew to
  // the maximum): its requests fail; a later run starts a fresh one with the current model.
  retire(worker) {
    if (!this.workers.includes(worker)) return true;
    worker.terminate();
    this.workers = this.workers.filter((w) => w !== worker);
    for (const h of [...this.handlers.values()]) {
      if (h.worker === worker) h.fn({ type: 'error', message: 'sampling worker restarted' });
    }
    return true;
  }

  // Sends one request and resolves with its first reply of type `expect` (or rejects with an
  // Error whose `fatal` says the worker was replaced).
  request(worker, msg, expect) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.handlers.set(id, { worker, fn: (reply) => {
        this.handlers.delete(id);
        if (reply.type === expect) {
          resolve(reply);
          return;
        }
        if (reply.fatal) this.retire(worker);
        reject(Object.assign(new Error(reply.message || `unexpected reply ${reply.type}`),
                             { fatal: !!reply.fatal }));
      } });
      worker.postMessage({ ...msg, id });
    });
  }

  // Loads a model into worker 0 first: a file it refuses changes no other worker, and the
  // previous model stays (a replaced worker 0 gets it back when next needed). Then into
  // `workers` workers in all (started now, so that Generate finds them ready); one that
  // fails to take the model is replaced on the next run.
  async load(text, workers = 1) {
    if (this.workers.length === 0) this.spawn();
    const [first, ...others] = this.workers;
    await first.ready.catch(() => {});
    const reply = await this.request(first, { type: 'load', text }, 'loaded');
    this.modelText = text;
    const loads = others.map((w) => this.request(w, { type: 'load', text }, 'loaded'));
    const fresh = [];
    while (this.workers.length < workers) fresh.push(this.spawn());
    const results = await Promise.allSettled([...loads, ...fresh.map((w) => w.ready)]);
    [...others, ...fresh].forEach((w, i) => {
      if (results[i].status === 'rejected') this.retire(w);
    });
    return reply;
  }

  // k workers holding the current model; one that could not take it is replaced next time.
  async ensureWorkers(k) {
    while (this.workers.length < k) this.spawn();
    const some = this.workers.slice(0, k);
    const results = await Promise.allSettled(some.map((w) => w.ready));
    const failed = results.filter((r, i) => r.status === 'rejected' && this.retire(some[i]));
    if (failed.length) throw failed[0].reason;
  }

  async normals(seed, stream, n) {
    if (this.workers.length === 0) this.spawn();
    const reply = await this.request(this.workers[0], { type: 'normals', seed, stream, n },
                                     'normals');
    return reply.data;
  }

  // Runs one generation: onStep({share, shares, step, numSteps, t, x, x0}) per worker step
  // (shares: how many the batch was split into, so that a caller can tell when every one has
  // reported); resolves with {ms, stepMs, memoryBytes} when all shares finish, or
  // {stopped: true} after stop().
  async run(config, { workers, onStep }) {
    if (!this.modelText) throw new Error('no model loaded');
    const shares = splitBatch(config.batch, workers);
    this.stop();
    // a stop() while the workers start up has no active shares to cancel: it drops the ticket
    const ticket = {};
    this.starting = ticket;
    await this.ensureWorkers(shares.length);
    if (this.starting !== ticket) return { stopped: true };
    this.starting = null;
    const started = performance.now();
    const runs = shares.map((share, i) => {
      const id = this.nextId++;
      const worker = this.workers[i];
      return new Promise((resolve, reject) => {
        const fn = (reply) => {
          if (reply.type === 'step' || reply.type === 'started') {
            onStep({ share, shares: shares.length, ...reply });
            return;
          }
          this.handlers.delete(id);
          if (reply.type === 'done') resolve(reply);
          else if (reply.type === 'stopped') resolve({ stopped: true });
          else {
            if (reply.fatal) this.retire(worker);
            reject(new Error(reply.message));
          }
        };
        this.handlers.set(id, { worker, fn });
        this.active.push({ id, worker, fn });
        worker.postMessage({ type: 'run', id, config: { ...config, ...share } });
      });
    });
    const results = await Promise.all(runs);
    this.active = [];
    if (results.some((r) => r.stopped)) return { stopped: true };
    return {
      ms: performance.now() - started,
      stepMs: Math.max(...results.map((r) => r.stepMs)),
      memoryBytes: Math.max(...results.map((r) => r.memoryBytes)),
      workers: shares.length,
    };
  }

  // Cancels the run in progress: its promise resolves with {stopped: true}.
  stop() {
    this.starting = null;
    for (const { id, worker, fn } of this.active) {
      worker.postMessage({ type: 'stop', id });
      fn({ type: 'stopped', id });
    }
    this.active = [];
  }

  terminate() {
    this.stop();
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
