// The Generate form's settings: reading them from text fields with a clear message for every
// bad value, and the defaults the page starts from.

export const MAX_SAMPLES = 64;
export const MAX_SEED = 2 ** 32 - 1;

// Trailing spacing starts at t = T and suits few steps best (shared/sampler.hpp). Guidance 2,
// with x0 clipped as the page always does, is where the default model meets the quality bar
// on every seed measured (web/models/mnist-base12.md): 3 sharpens the class but moves the
// samples away from the data, and without clipping 2 misses the class accuracy on one seed.
// Class 'each' draws the classes in turn (0, 1, 2, ...), as the eval does; 'none' samples the
// unconditional model, whose digits are much worse, so it is not the default.
export const DEFAULTS = Object.freeze({
  sampler: 'dpm++2m', steps: 10, spacing: 'trailing', eta: 0, guidance: 2, label: 'each',
  seed: 0, samples: 16,
});

// The Class field's choices besides the class numbers (shared/labels.hpp).
export const LABEL_MODES = Object.freeze([
  ['each', 'each in turn'], ['random', 'random'], ['none', 'none (unconditional)'],
]);

// The Class field's text -> 'none', 'each', 'random' or a class number; null when invalid.
export function parseLabel(text, classes) {
  const s = String(text ?? 'none');
  if (s === 'none' || s === '-1') return 'none';
  if (classes > 0 && (s === 'each' || s === 'random')) return s;
  if (!/^[0-9]{1,9}$/.test(s)) return null;
  const k = Number(s);
  return k < classes ? k : null;
}

// A field's text -> number, or an error message naming the field and what it expects.
function parseNumber(text, name, { min, max, integer }) {
  const s = String(text ?? '').trim();
  const what = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  if (s === '') return { error: `${name}: enter ${what}` };
  // plain decimal notation only (Number() would also take "0x10" or "1e2" for an integer)
  const form = integer ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  const v = form.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    return { error: `${name}: "${s}" is not ${what}` };
  }
  if (v < min || v > max) return { error: `${name}: ${s} is out of range; enter ${what}` };
  return { value: v };
}

// fields: {sampler, steps, spacing, eta, guidance, label, seed, samples}, strings of the form;
// T: the loaded model's timesteps; classes: its number of classes (0 = unconditional).
// Returns {config, errors: {field: message}}; config is null when any field is bad.
export function readSettings(fields, { T, classes }) {
  const errors = {};
  const take = (name, label, range) => {
    const r = parseNumber(fields[name], label, range);
    if (r.error) errors[name] = r.error;
    return r.value;
  };
  const sampler = fields.sampler;
  if (!['ddpm', 'ddim', 'dpm++2m'].includes(sampler)) {
    errors.sampler = `Sampler: "${sampler}" is not one of DDPM, DDIM, DPM-Solver++`;
  }
  const steps = sampler === 'ddpm' ? T
    : take('steps', 'Steps', { min: 1, max: T, integer: true });
  const spacing = fields.spacing ?? 'trailing';
  if (!['leading', 'trailing', 'linspace'].includes(spacing)) {
    errors.spacing = `Spacing: "${spacing}" is not one of leading, trailing, linspace`;
  }
  const eta = sampler === 'ddim' ? take('eta', 'η', { min: 0, max: 1 }) : 0;
  const label = parseLabel(fields.label, classes);
  if (label === null) errors.label = `Class: "${fields.label}" is not a class of this model`;
  const guidance = label !== 'none' ? take('guidance', 'Guidance', { min: 0, max: 20 }) : 1;
  const seed = take('seed', 'Seed', { min: 0, max: MAX_SEED, integer: true });
  const samples = take('samples', 'Samples', { min: 1, max: MAX_SAMPLES, integer: true });
  if (Object.keys(errors).length) return { config: null, errors };
  return {
    config: { sampler, steps, spacing, eta, guidance, label, seed, batch: samples }, errors,
  };
}
