// Reads a ddpm-weights JSON file (docs/weights-format.md) in JavaScript, for the comparison
// models (TensorFlow.js, onnxruntime-web): base64 f32/f16 tensors decoded to Float32Array.

// IEEE 754 binary16 -> float, for the "f16" dtype.
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function base64Bytes(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; ++i) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// Returns {model, schedule, tensors: Map(name -> {shape, data: Float32Array})}. Throws an
// Error naming the tensor when a field is missing or the data length does not fit the shape.
export function parseWeights(text) {
  const doc = JSON.parse(text);
  if (doc.format !== 'ddpm-weights' || doc.version !== 1) {
    throw new Error(`weights: expected format "ddpm-weights" version 1, got ` +
                    `${JSON.stringify(doc.format)} ${JSON.stringify(doc.version)}`);
  }
  const tensors = new Map();
  for (const t of doc.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const bytes = base64Bytes(t.data);
    const size = t.dtype === 'f16' ? 2 : t.dtype === 'f32' ? 4 : 0;
    if (!size) throw new Error(`weights: tensors.${t.name}.dtype: expected f32 or f16`);
    if (bytes.length !== count * size) {
      throw new Error(`weights: tensors.${t.name}.data: ${bytes.length} bytes, expected ` +
                      `${count * size} for shape [${t.shape}]`);
    }
    const view = new DataView(bytes.buffer);
    const data = new Float32Array(count);
    for (let i = 0; i < count; ++i) {
      data[i] = size === 4 ? view.getFloat32(4 * i, true)
                           : halfToFloat(view.getUint16(2 * i, true));
    }
    tensors.set(t.name, { shape: t.shape, data });
  }
  return { model: doc.model, schedule: doc.schedule, tensors };
}
