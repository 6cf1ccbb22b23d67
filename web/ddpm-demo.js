// <ddpm-demo model="models/mnist-base12.json">: the DDPM demo as a custom element. Generates
// digits in Web Workers (wasm), animates x_t, plots the schedule, shows the forward process.
import { WorkerPool, workerCountFor } from './js/pool.js';
import { GridPainter } from './js/grid.js';
import { plotTable } from './js/plots.js';
import { decodeDigits, noisedImage, paintImage } from './js/forward.js';
import { DEFAULTS, LABEL_MODES, MAX_SAMPLES, readSettings } from './js/settings.js';
import { explainRefusal, fetchModelText } from './js/model-file.js';
import { styles } from './js/styles.js';

const here = new URL('./', import.meta.url);
const plural = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;
// The grid's accessible name while it holds no images.
const EMPTY_GRID = 'no images generated yet';
const SAMPLERS = [
  ['dpm++2m', 'DPM-Solver++ (2M)'], ['ddim', 'DDIM'], ['ddpm', 'DDPM (all T steps)'],
];

const template = `
<div class="layout">
  <section class="generate" aria-labelledby="gen-title">
    <h2 id="gen-title">Generate images</h2>
    <form novalidate>
      <label>Model <select name="model"></select></label>
      <label>Class <select name="label"><option value="none">none</option></select></label>
      <label>Guidance <input name="guidance" inputmode="decimal"></label>
      <label>Sampler <select name="sampler">${SAMPLERS.map(([v, t]) =>
        `<option value="${v}">${t}</option>`).join('')}</select></label>
      <label>Steps <input name="steps" inputmode="numeric"></label>
      <label>Spacing <select name="spacing"><option>trailing</option><option>leading</option>
        <option>linspace</option></select></label>
      <label>η (DDIM) <input name="eta" inputmode="decimal"></label>
      <label>Seed <input name="seed" inputmode="numeric"></label>
      <label>Samples <input name="samples" inputmode="numeric"></label>
    </form>
    <div class="errors" role="alert"></div>
    <div class="actions">
      <button type="button" class="run" disabled>Generate</button>
      <button type="button" class="stop secondary" disabled
              aria-keyshortcuts="Escape">Stop</button>
      <button type="button" class="download secondary" disabled>Download PNG</button>
      <label class="check"><input type="checkbox" class="show-x0"> show x̂<sub>0</sub></label>
    </div>
    <div class="error model-error" role="alert"></div>
    <div class="progress">
      <progress max="1" value="0" aria-label="sampling progress"></progress>
      <span class="counter" aria-live="off">step 0 / 0</span>
    </div>
    <p class="status" role="status" aria-live="polite">Loading…</p>
    <canvas class="grid" role="img" aria-label="${EMPTY_GRID}"></canvas>
    <p class="model-info"></p>
  </section>
  <div class="side">
    <section aria-labelledby="sched-title">
      <h2 id="sched-title">Noise schedule</h2>
      <canvas class="plot" data-table="beta" role="img" aria-label="beta_t against t"></canvas>
      <canvas class="plot" data-table="alpha_bar" role="img"
              aria-label="alpha-bar_t against t"></canvas>
      <canvas class="plot" data-table="log_snr" role="img" aria-label="log-SNR against t"></canvas>
    </section>
    <section aria-labelledby="fwd-title">
      <h2 id="fwd-title">Forward process</h2>
      <div class="row">
        <label>Test digit <select class="digit"></select></label>
        <label><span>Timestep t = <output class="t-value">0</output></span>
          <input type="range" class="t-slider" min="0" max="1000" value="250" step="1"></label>
      </div>
      <div class="forward-images">
        <div><canvas class="fwd-x0" width="112" height="112"></canvas>x<sub>0</sub></div>
        <div><canvas class="fwd-eps" width="112" height="112"></canvas>ε</div>
        <div><canvas class="fwd-xt" width="112" height="112"></canvas>x<sub>t</sub></div>
      </div>
      <p class="formula"></p>
      <button type="button" class="new-noise secondary">New noise ε</button>
    </section>
  </div>
</div>`;

const TITLES = {
  beta: 'β_t', alpha_bar: 'ᾱ_t', log_snr: 'log-SNR = log(ᾱ_t / (1 − ᾱ_t))',
};

class DdpmDemo extends HTMLElement {
  static get observedAttributes() { return ['model']; }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = `<style>${styles}</style>${template}`;
    const $ = (s) => this.root.querySelector(s);
    this.el = {
      form: $('form'), errors: $('.errors'), run: $('.run'), stop: $('.stop'),
      download: $('.download'), showX0: $('.show-x0'), modelError: $('.model-error'),
      progress: $('progress'), counter: $('.counter'), status: $('.status'),
      grid: $('canvas.grid'), modelInfo: $('.model-info'),
      plots: [...this.root.querySelectorAll('canvas.plot')],
      digit: $('.digit'), slider: $('.t-slider'), tValue: $('.t-value'), formula: $('.formula'),
      fwdX0: $('.fwd-x0'), fwdEps: $('.fwd-eps'), fwdXt: $('.fwd-xt'),
      newNoise: $('.new-noise'),
    };
    this.painter = new GridPainter(this.el.grid);
    this.model = null;      // {url, info, tables}
    this.running = null;    // the run in progress
    this.lastRun = null;    // figures of the last finished run (benchmarks read them)
    this.shown = null;      // the run whose images the grid holds (finished or not), or null
    this.frames = [];       // latest step message per share
    this.wire();
  }

  connectedCallback() {
    if (this.started) return;
    this.started = true;
    this.pool = new WorkerPool();
    this.resizeObserver = new ResizeObserver(() => this.drawPlots());
    this.resizeObserver.observe(this.el.plots[0]);
    this.start();
  }

  // The form's defaults and every control's handler (once: the element may be moved).
  wire() {
    const f = this.el.form.elements;
    f.guidance.value = DEFAULTS.guidance;
    f.sampler.value = DEFAULTS.sampler;
    f.steps.value = DEFAULTS.steps;
    f.spacing.value = DEFAULTS.spacing;
    f.eta.value = DEFAULTS.eta;
    f.seed.value = DEFAULTS.seed;
    f.samples.value = DEFAULTS.samples;
    this.el.form.addEventListener('input', () => this.updateFields());
    this.el.form.addEventListener('submit', (e) => { e.preventDefault(); this.generate(); });
    this.el.form.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.target.tagName === 'INPUT') {
        e.preventDefault();
        this.generate();
      }
    });
    f.model.addEventListener('change', () => this.loadModel(f.model.value));
    f.label.addEventListener('change', () => { this.labelChosen = true; });
    this.root.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.stop(); });
    this.el.run.addEventListener('click', () => this.generate());
    this.el.stop.addEventListener('click', () => this.stop());
    this.el.download.addEventListener('click', () => this.downloadPng());
    this.el.showX0.addEventListener('change', () => this.drawFrames());
    this.el.slider.addEventListener('input', () => this.drawForward());
    this.el.digit.addEventListener('change', () => this.drawForward());
    this.el.newNoise.addEventListener('click', () => this.newNoise());
    this.updateFields();
  }

  disconnectedCallback() {
    if (!this.started) return;
    this.started = false;
    this.resizeObserver.disconnect();
    this.running = null;
    this.pool.terminate();
    this.model = null;
    this.el.form.elements.model.replaceChildren();
  }

  attributeChangedCallback(name, old, value) {
    if (name === 'model' && this.started && this.model && value) {
      this.loadModel(this.selectModelOption(value));
    }
  }

  // The model select's option for a URL (added first when the list lacks it), selected.
  selectModelOption(url) {
    const select = this.el.form.elements.model;
    const resolved = this.resolve(url);
    if (![...select.options].some((o) => o.value === resolved)) {
      select.add(new Option(url, resolved), 0);
    }
    select.value = resolved;
    return resolved;
  }

  maxWorkers() {
    const n = Number(this.getAttribute('workers') || 4);
    return Number.isInteger(n) && n >= 1 && n <= 16 ? n : 4;
  }

  resolve(url) { return new URL(url, document.baseURI).href; }

  // The model list (models/index.json beside this script, or the `models` attribute), the
  // test digits, then the first model.
  async start() {
    const select = this.el.form.elements.model;
    const indexUrl = this.getAttribute('models')
      ? this.resolve(this.getAttribute('models')) : new URL('models/index.json', here).href;
    try {
      const index = await fetchJson(indexUrl);
      for (const m of index.models || []) {
        const option = new Option(m.name || m.file, new URL(m.file, indexUrl).href);
        if (m.classes !== undefined) option.dataset.classes = JSON.stringify(m.classes);
        select.add(option);
      }
    } catch (e) {
      this.showModelError(`Model list ${indexUrl}: ${e.message}`);
    }
    const listed = select.options.length ? select.options[0].value : null;
    const wanted = this.getAttribute('model');
    if (wanted) this.selectModelOption(wanted);
    this.loadDigits();
    if (!select.value) {
      this.setStatus('No model to load.');
      return;
    }
    await this.loadModel(select.value);
    if (!this.model && listed && select.value !== listed) {
      const why = this.el.modelError.textContent;
      select.value = listed;
      await this.loadModel(listed);
      if (this.model) {
        this.showModelError(`${why}. Loaded "${select.selectedOptions[0].text}" instead.`);
      }
    }
  }

  async loadDigits() {
    try {
      const doc = await fetchJson(new URL('data/test-digits.json', here).href);
      this.digits = decodeDigits(doc);
      this.el.digit.replaceChildren(...this.digits.map((d, i) =>
        new Option(`${d.label} (test image ${d.index})`, String(i))));
      this.drawForward();
    } catch (e) {
      this.showModelError(`Test digits: ${e.message}`);
    }
  }

  // Loads a model into the workers. On failure the previous model stays loaded and selected.
  async loadModel(url) {
    const select = this.el.form.elements.model;
    const name = select.selectedOptions[0]?.text || url;
    // a run cut short by the change is reported, not dropped (the status would otherwise just
    // say Ready); waiting for it to end keeps its clean-up from re-enabling the controls
    const note = await this.stopFor('the model changed');
    this.setStatus(`${note}Loading ${name}…`);
    this.el.run.disabled = true;
    select.disabled = true;
    try {
      const text = await fetchModelText(url);
      const reply = await this.pool.load(text, workerCountFor(DEFAULTS.samples,
                                                               this.maxWorkers()));
      this.model = { url, info: reply.info, tables: reply.tables };
      this.noiseStream = 0;
      this.eps = await this.pool.normals(0, this.noiseStream, this.digitSize());
      this.showModelError('');
      // another model's images are not this one's: nothing to describe or download
      if (this.shown && this.shown.modelUrl !== url) this.clearGrid();
      this.onModelLoaded(name, note);
    } catch (e) {
      this.showModelError(`Could not load model "${name}" (${url}): ${explainRefusal(e)}` +
                          (this.model ? '. The previous model stays loaded.' : ''));
      if (this.model) select.value = this.model.url;
      this.setStatus(note + (this.model ? 'Ready.' : 'No model loaded.'));
    } finally {
      select.disabled = false;
      this.el.run.disabled = !this.model;
      this.dispatchEvent(new CustomEvent('ddpm-model', { detail: { ok: !!this.model } }));
    }
  }

  // The class names models/index.json gives the selected model ("classes": one string per
  // class), or null: the classes are then shown as numbers. A list that does not fit the
  // model is reported and ignored.
  listedClassNames(count) {
    const text = this.el.form.elements.model.selectedOptions[0]?.dataset.classes;
    if (text === undefined || count === 0) return null;
    const names = JSON.parse(text);
    const fits = Array.isArray(names) && names.length === count &&
      names.every((n) => typeof n === 'string' && n.trim() !== '' && n.length <= 40);
    if (fits) return names.map((n) => n.trim());
    this.showModelError(`Model list: "classes" of this model must be ${count} names (strings ` +
                        'of at most 40 characters); showing class numbers');
    return null;
  }

  onModelLoaded(name, note = '') {
    const { model, schedule, training, parameters, mflop_per_image: mflop } = this.model.info;
    const label = this.el.form.elements.label;
    // the choice made so far when this model has it, else the default ('none' when
    // the model is unconditional)
    const keep = this.labelChosen ? label.value : String(DEFAULTS.label);
    const modes = model.num_classes > 0 ? LABEL_MODES : LABEL_MODES.filter(([v]) => v === 'none');
    label.replaceChildren(...modes.map(([value, text]) => new Option(text, value)));
    this.classNames = this.listedClassNames(model.num_classes);
    for (let k = 0; k < model.num_classes; k++) {
      const name = this.classNames ? `${k} ${this.classNames[k]}` : String(k);
      label.add(new Option(name, String(k)));
    }
    label.value = [...label.options].some((o) => o.value === keep) ? keep : 'none';
    this.el.slider.max = String(schedule.timesteps);
    this.el.modelInfo.textContent = `${name}: ${(parameters / 1e6).toFixed(2)} M parameters, ` +
      `${mflop.toFixed(0)} MFLOP per image, ${schedule.kind} schedule, T = ${schedule.timesteps}` +
      (training && training.steps ? `, trained ${training.steps} steps` : '') +
      (training && training.device ? ` on ${training.device}` : '') + '.';
    this.updateFields();
    this.drawPlots(null, null);
    this.drawForward();
    this.el.progress.value = 0;
    this.el.counter.textContent = 'step 0 / 0';
    this.setStatus(`${note}Ready. Press Generate.`);
  }

  // Enables the fields the chosen sampler and class use; checks every field as typed.
  updateFields() {
    const f = this.el.form.elements;
    const ddpm = f.sampler.value === 'ddpm';
    f.steps.disabled = ddpm;
    f.spacing.disabled = ddpm;
    // DDPM walks all T steps; the field shows T meanwhile and gets the user's value back
    if (ddpm && this.stepsBeforeDdpm === undefined) this.stepsBeforeDdpm = f.steps.value;
    if (!ddpm && this.stepsBeforeDdpm !== undefined) {
      f.steps.value = this.stepsBeforeDdpm;
      this.stepsBeforeDdpm = undefined;
    }
    if (ddpm && this.model) f.steps.value = this.model.info.schedule.timesteps;
    f.eta.disabled = f.sampler.value !== 'ddim';
    f.guidance.disabled = f.label.value === 'none';
    this.checkSettings();
  }

  checkSettings() {
    const f = this.el.form.elements;
    const fields = {};
    for (const k of ['sampler', 'steps', 'spacing', 'eta', 'guidance', 'label', 'seed',
                     'samples']) {
      fields[k] = f[k].value;
    }
    const T = this.model ? this.model.info.schedule.timesteps : 1000;
    const classes = this.model ? this.model.info.model.num_classes : 10;
    const { config, errors } = readSettings(fields, { T, classes });
    for (const k of Object.keys(fields)) {
      f[k].setAttribute('aria-invalid', errors[k] ? 'true' : 'false');
    }
    this.el.errors.replaceChildren(...Object.values(errors).map((m) => {
      const p = document.createElement('p');
      p.textContent = m;
      return p;
    }));
    return config;
  }

  async generate() {
    if (!this.model || this.running) return;
    const config = this.checkSettings();
    if (!config) {
      this.setStatus('Fix the settings above, then press Generate.');
      return;
    }
    const clicked = performance.now();
    const { model } = this.model.info;
    const shape = { c: model.in_channels, h: model.image_size[0], w: model.image_size[1] };
    const workers = workerCountFor(config.batch, this.maxWorkers());
    const total = config.sampler === 'ddpm' ? this.model.info.schedule.timesteps : config.steps;
    // state: 'running', then 'done', 'stopped' or 'failed' (the grid's label and the
    // download's name say which); stepOf: each share's latest {step, t}
    const run = { config, total, steps: 0, stepOf: new Map(), modelUrl: this.model.url,
                  state: 'running', stopReason: '' };
    this.running = run;
    this.shown = run;
    this.frames = [];
    this.painter.reset(config.batch, shape);
    this.painter.draw();
    this.el.grid.setAttribute('aria-label', gridLabel(run, this.classNames));
    // the Generate button disables itself: hand its focus to Stop, so that Escape (and Tab)
    // still act inside the demo
    const fromRunButton = this.root.activeElement === this.el.run;
    this.setButtons(true);
    if (fromRunButton) this.el.stop.focus({ preventScroll: true });
    this.setStatus(`Sampling ${config.batch} images with ${plural(workers, 'worker')}…`);
    this.el.progress.value = 0;
    this.el.counter.textContent = `step 0 / ${run.total}`;
    run.ended = this.sample(run, workers, clicked);
    await run.ended;
  }

  // The run itself, to its end (done, stopped or failed) and the clean-up after it.
  async sample(run, workers, clicked) {
    const { config } = run;
    try {
      const result = await this.pool.run({ ...config, clipX0: true }, {
        workers,
        onStep: (m) => this.onStep(run, m),
      });
      if (result.stopped) {
        // the last frame may still be waiting for its animation frame: show it, so that the
        // counter, the grid and the download's name agree with the status
        run.state = 'stopped';
        this.showProgress(run);
        this.setStatus(stoppedText(run));
        this.el.grid.setAttribute('aria-label', gridLabel(run, this.classNames));
      } else {
        run.state = 'done';
        this.drawFrames();
        this.el.progress.value = 1;
        this.el.counter.textContent = `step ${run.total} / ${run.total} · t = 0`;
        const ms = performance.now() - clicked;
        this.lastRun = { ...result, clickToDoneMs: ms, steps: run.total, batch: config.batch,
                         config };
        this.setStatus(`Done: ${config.batch} images, ${run.total} steps in ` +
                       `${(ms / 1000).toFixed(2)} s on ${plural(result.workers, 'worker')}.`);
        this.el.grid.setAttribute('aria-label', gridLabel(run, this.classNames));
        this.dispatchEvent(new CustomEvent('ddpm-done', { detail: this.lastRun }));
      }
    } catch (e) {
      this.pool.stop();
      run.state = 'failed';
      this.el.grid.setAttribute('aria-label', gridLabel(run, this.classNames));
      this.setStatus('Sampling failed.');
      this.showModelError(`Sampling failed: ${e.message}`);
    } finally {
      if (this.running === run) this.running = null;
      this.setButtons(false);
      this.drawPlots();
    }
  }

  onStep(run, m) {
    if (this.running !== run) return;
    if (m.type === 'started') {
      run.timesteps = m.timesteps;
      return;
    }
    this.frames[m.share.firstSample] = m;
    run.stepOf.set(m.share.firstSample, { step: m.step, t: m.t });
    // the workers step side by side, often a step or more apart: the counter shows the step
    // all of them have reached (0 until each has reported) with that step's own t, so that it
    // only moves forward
    if (run.stepOf.size === m.shares) {
      const slowest = [...run.stepOf.values()].reduce((a, b) => (b.step < a.step ? b : a));
      run.steps = slowest.step;
      run.t = slowest.t;
    }
    if (!this.frameRequested) {
      this.frameRequested = true;
      requestAnimationFrame(() => {
        this.frameRequested = false;
        if (this.running === run) this.showProgress(run);
      });
    }
  }

  // The progress bar, the counter, the grid and the plots' marker at the run's step.
  showProgress(run) {
    this.el.progress.value = run.steps / run.total;
    this.el.counter.textContent = `step ${run.steps} / ${run.total}` +
      (run.t === undefined ? '' : ` · t = ${run.t}`);
    this.drawFrames();
    this.drawPlots(run.t, run.timesteps);
  }

  drawFrames() {
    const useX0 = this.el.showX0.checked;
    for (const m of this.frames) {
      if (m) this.painter.put(m.share.firstSample, useX0 ? m.x0 : m.x);
    }
    if (this.frames.length) this.painter.draw();
  }

  // reason: why, for the status line ('' when the user asked).
  stop(reason = '') {
    if (!this.running) return;
    this.running.stopReason = reason;
    this.pool.stop();
  }

  // Stops a run in progress and resolves once it has ended, with the words that report it
  // (ending in a space) or '' when nothing ran.
  async stopFor(reason) {
    const run = this.running;
    if (!run) return '';
    this.stop(reason);
    await run.ended;
    return run.state === 'stopped' ? `${stoppedText(run)} ` : '';
  }

  // The grid of a model no longer loaded: gone, with its description, and nothing to save.
  clearGrid() {
    this.shown = null;
    this.frames = [];
    this.painter.clear();
    this.el.grid.setAttribute('aria-label', EMPTY_GRID);
    this.el.download.disabled = true;
  }

  setButtons(running) {
    this.el.run.disabled = running || !this.model;
    this.el.stop.disabled = !running;
    this.el.download.disabled = running || !this.frames.length;
    this.el.form.elements.model.disabled = running;
    if (!running && document.activeElement === this && this.root.activeElement === this.el.stop) {
      this.el.run.focus();
    }
  }

  async downloadPng() {
    if (!this.shown) return;  // nothing on the grid (the button is disabled then)
    const blob = await this.painter.toPngBlob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = downloadName(this.shown);
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  // The schedule plots; marker: the current t; points: the run's timesteps on the curves.
  drawPlots(marker = null, points = this.lastTimesteps) {
    if (!this.model) return;
    this.lastTimesteps = points;
    for (const canvas of this.el.plots) {
      const name = canvas.dataset.table;
      const from = name === 'log_snr' || name === 'beta' ? 1 : 0;
      plotTable(canvas, { y: this.model.tables[name], from, title: TITLES[name], marker,
                          points });
    }
  }

  digitSize() {
    const { image_size: size } = this.model.info.model;
    return size[0] * size[1];
  }

  // Another draw of eps for the forward-process panel (the next stream of seed 0).
  async newNoise() {
    if (!this.model) return;
    this.noiseStream += 1;
    this.eps = await this.pool.normals(0, this.noiseStream, this.digitSize());
    this.drawForward();
  }

  drawForward() {
    if (!this.digits || !this.model || !this.eps) return;
    const digit = this.digits[Number(this.el.digit.value) || 0];
    const t = Number(this.el.slider.value);
    const ab = this.model.tables.alpha_bar[t];
    this.el.tValue.textContent = String(t);
    paintImage(this.el.fwdX0, digit.x0);
    paintImage(this.el.fwdEps, this.eps.map((v) => v / 3));
    paintImage(this.el.fwdXt, noisedImage(digit.x0, this.eps, ab));
    this.el.formula.textContent =
      `x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε with ᾱ_${t} = ${ab.toPrecision(4)}:` +
      ` x_t = ${Math.sqrt(ab).toFixed(3)}·x_0 + ${Math.sqrt(1 - ab).toFixed(3)}·ε`;
    this.drawPlots(t);
  }

  setStatus(text) { this.el.status.textContent = text; }
  showModelError(text) { this.el.modelError.textContent = text; }
}

// The status line of a stopped run.
function stoppedText(run) {
  return `Stopped at step ${run.steps} of ${run.total}` +
    (run.stopReason ? ` because ${run.stopReason}` : '') + '.';
}

// The grid's accessible name: the images of `run`, done, in progress, stopped or failed.
function gridLabel(run, names) {
  const { batch, label, seed } = run.config;
  const what = {
    done: `${batch} generated images`,
    running: `${batch} images being generated`,
  }[run.state] || `${batch} partly generated images (${run.state} at step ${run.steps} of ` +
    `${run.total})`;
  return `${what}${labelText(label, names)}, seed ${seed}`;
}

// The PNG's file name says what the grid holds: the run's sampler and seed, and for a run
// that did not finish, how far it got (the images are still partly noise).
function downloadName(run) {
  const { sampler, seed } = run.config;
  const partial = run.state === 'done' ? '' : `-step${run.steps}of${run.total}`;
  return `ddpm-${sampler}-seed${seed}${partial}.png`;
}

// How the grid's accessible name describes the classes of a run.
function labelText(label, names) {
  if (label === 'each') return ', classes 0, 1, 2, ... in turn';
  if (label === 'random') return ', random classes';
  if (label === 'none') return ', unconditional';
  return ` of class ${label}` + (names ? ` (${names[label]})` : '');
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  return response.json();
}

if (!customElements.get('ddpm-demo')) customElements.define('ddpm-demo', DdpmDemo);
export { DdpmDemo, MAX_SAMPLES };
