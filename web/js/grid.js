// Draws a batch of images (N, C, H, W floats in [-1, 1]) as a grid on a canvas, and turns
// the grid into a PNG download.

// Grid shape for n images: as square as possible, wider than tall.
export function gridShape(n) {
  const cols = Math.ceil(Math.sqrt(n));
  return { cols, rows: Math.ceil(n / cols) };
}

// Image i of a batch -> RGBA pixels of `image` (ImageData) at grid cell (col, row).
function putImage(image, data, offset, { h, w, c }, col, row, pad) {
  const stride = image.width;
  const plane = h * w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = ((row * (h + pad) + pad + y) * stride + col * (w + pad) + pad + x) * 4;
      for (let k = 0; k < 3; k++) {
        const v = data[offset + (c === 3 ? k : 0) * plane + y * w + x];
        image.data[p + k] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
      }
      image.data[p + 3] = 255;
    }
  }
}

// A grid painter: holds the native-resolution pixels; draw() scales them onto the canvas.
export class GridPainter {
  constructor(canvas) {
    this.canvas = canvas;
    this.buffer = document.createElement('canvas');
    this.pad = 2;
  }

  // n images of shape {c, h, w}; clears to the padding colour.
  reset(n, shape) {
    this.n = n;
    this.shape = shape;
    const { cols, rows } = gridShape(n);
    this.cols = cols;
    this.buffer.width = cols * (shape.w + this.pad) + this.pad;
    this.buffer.height = rows * (shape.h + this.pad) + this.pad;
    const ctx = this.buffer.getContext('2d');
    this.image = ctx.createImageData(this.buffer.width, this.buffer.height);
    this.image.data.fill(48);
    for (let i = 3; i < this.image.data.length; i += 4) this.image.data[i] = 255;
    this.canvas.width = this.buffer.width * 4;
    this.canvas.height = this.buffer.height * 4;
  }

  // Images first..first+count-1 of the grid from a (count, C, H, W) array.
  put(first, data) {
    const { c, h, w } = this.shape;
    const count = data.length / (c * h * w);
    for (let i = 0; i < count; i++) {
      const g = first + i;
      putImage(this.image, data, i * c * h * w, this.shape, g % this.cols,
               Math.floor(g / this.cols), this.pad);
    }
  }

  draw() {
    this.buffer.getContext('2d').putImageData(this.image, 0, 0);
    const ctx = this.canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.buffer, 0, 0, this.canvas.width, this.canvas.height);
  }

  // No images (they belonged to another model): a blank canvas of the same size, so that the
  // layout does not jump.
  clear() {
    this.n = 0;
    this.canvas.getContext('2d').clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  toPngBlob() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png'));
  }
}
