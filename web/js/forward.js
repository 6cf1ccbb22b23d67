// The forward-process panel (the tutorial's first figure): a real test digit x_0, a fixed
// noise draw eps, and x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps for a chosen t.

// Decodes test-digits.json entries (base64 of uint8 pixels) to floats in [-1, 1].
export function decodeDigits(doc) {
  return doc.digits.map(({ label, index, pixels }) => {
    const bytes = Uint8Array.from(atob(pixels), (ch) => ch.charCodeAt(0));
    const x0 = Float32Array.from(bytes, (b) => (b / 255) * 2 - 1);
    return { label, index, x0 };
  });
}

// x_t from x_0 and eps (Ho et al. 2020, Eq. 4, reparameterised).
export function noisedImage(x0, eps, alphaBar) {
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  const out = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = a * x0[i] + b * eps[i];
  return out;
}

// Paints one 28x28 image (values in [-1, 1]) onto a canvas, scaled without smoothing.
export function paintImage(canvas, values, { h = 28, w = 28 } = {}) {
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d');
  const image = sctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const v = Math.max(0, Math.min(255, Math.round((values[i] + 1) * 127.5)));
    image.data.set([v, v, v, 255], i * 4);
  }
  sctx.putImageData(image, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}
