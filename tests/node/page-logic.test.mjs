// The page's pure logic, without a browser: reading the Generate form (every bad value gets a
// message naming the field), splitting a batch across workers, the forward-process formula.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readSettings, DEFAULTS } from '../../web/js/settings.js';
import { splitBatch } from '../../web/js/pool.js';
import { noisedImage } from '../../web/js/forward.js';
import { gridShape } from '../../web/js/grid.js';

const model = { T: 1000, classes: 10 };
const good = { sampler: 'ddim', steps: '25', spacing: 'leading', eta: '0.5', guidance: '2',
               label: '4', seed: '9', samples: '16' };

test('good settings become a sampler configuration', () => {
  const { config, errors } = readSettings(good, model);
  assert.deepEqual(errors, {});
  assert.deepEqual(config, { sampler: 'ddim', steps: 25, spacing: 'leading', eta: 0.5,
                             guidance: 2, label: 4, seed: 9, batch: 16 });
  // DDPM walks all T steps; eta only for DDIM; guidance only with a class
  const ddpm = readSettings({ ...good, sampler: 'ddpm', steps: '3', label: '-1' }, model).config;
  assert.equal(ddpm.steps, 1000);
  assert.equal(ddpm.eta, 0);
  assert.equal(ddpm.guidance, 1);
});

test('the Class field: each, random, none or a class of the model', () => {
  const label = (text, m = model) => readSettings({ ...good, label: text }, m).config?.label;
  assert.equal(label('each'), 'each');
  assert.equal(label('random'), 'random');
  assert.equal(label('none'), 'none');
  assert.equal(label('0'), 0);
  assert.equal(label('9'), 9);
  for (const bad of ['10', '-2', '3.0', ' 3', 'seven', '']) {
    assert.equal(label(bad), undefined, bad);
  }
  // an unconditional model has only 'none', and no guidance
  const uncond = { T: 1000, classes: 0 };
  assert.equal(label('each', uncond), undefined);
  assert.equal(label('0', uncond), undefined);
  assert.equal(readSettings({ ...good, label: 'none' }, uncond).config.guidance, 1);
  // the default draws every class in turn, guided
  assert.equal(DEFAULTS.label, 'each');
  assert.equal(readSettings({ ...good, label: DEFAULTS.label }, model).config.guidance, 2);
});

test('the defaults are valid settings', () => {
  const fields = Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, String(v)]));
  const { config, errors } = readSettings(fields, model);
  assert.deepEqual(errors, {});
  assert.equal(config.batch, DEFAULTS.samples);
});

test('empty, negative, fractional, huge and non-numeric values each get a message', () => {
  const cases = [
    ['steps', '', /Steps: enter an integer from 1 to 1000/],
    ['steps', '-5', /Steps: -5 is out of range/],
    ['steps', '2.5', /Steps: "2.5" is not an integer/],
    ['steps', '1001', /Steps: 1001 is out of range/],
    ['samples', '1e9', /Samples: "1e9" is not an integer/],
    ['samples', '0x10', /Samples: "0x10" is not an integer/],
    ['samples', '1000', /Samples: 1000 is out of range/],
    ['guidance', '0x2', /Guidance: "0x2" is not a number/],
    ['guidance', '1e3', /Guidance: 1e3 is out of range/],
    ['samples', 'ten', /Samples: "ten" is not an integer/],
    ['seed', '-1', /Seed: -1 is out of range/],
    ['eta', '1.5', /η: 1.5 is out of range/],
    ['guidance', 'Infinity', /Guidance: "Infinity" is not a number/],
    ['label', '10', /Class: "10" is not a class/],
    ['sampler', 'euler', /Sampler: "euler"/],
    ['spacing', 'quadratic', /Spacing: "quadratic"/],
  ];
  for (const [field, value, message] of cases) {
    const { config, errors } = readSettings({ ...good, [field]: value }, model);
    assert.equal(config, null, `${field}=${value} refused`);
    assert.match(errors[field], message);
  }
});

test('a batch splits into contiguous shares covering every sample once', () => {
  assert.deepEqual(splitBatch(16, 2),
                   [{ firstSample: 0, batch: 8 }, { firstSample: 8, batch: 8 }]);
  assert.deepEqual(splitBatch(7, 3), [{ firstSample: 0, batch: 3 }, { firstSample: 3, batch: 2 },
                                      { firstSample: 5, batch: 2 }]);
  assert.deepEqual(splitBatch(1, 4), [{ firstSample: 0, batch: 1 }]);
  assert.deepEqual(gridShape(16), { cols: 4, rows: 4 });
  assert.deepEqual(gridShape(5), { cols: 3, rows: 2 });
});

test('x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps', () => {
  // by hand: ab = 0.64 -> 0.8 x0 + 0.6 eps
  const xt = noisedImage(Float32Array.of(1, -1, 0.5), Float32Array.of(0, 1, -2), 0.64);
  assert.deepEqual(Array.from(xt).map((v) => +v.toFixed(6)), [0.8, -0.2, -0.8]);
});
