// The wasm module's RNG gives the numbers the core documents (shared/rng.hpp) and those of an
// independent JavaScript Philox4x32-10 + Box-Muller written here from the specification.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadModule } from './wasm-module.mjs';

const Module = await loadModule();

// Philox4x32-10 (Salmon et al. 2011) with BigInt products: counter c[4], key k[2].
function philox(c, k) {
  c = c.map((v) => BigInt(v));
  k = k.map((v) => BigInt(v));
  const M = 0xffffffffn;
  for (let round = 0; round < 10; round++) {
    if (round > 0) { k = [(k[0] + 0x9E3779B9n) & M, (k[1] + 0xBB67AE85n) & M]; }
    const p0 = 0xD2511F53n * c[0];
    const p1 = 0xCD9E8D57n * c[2];
    c = [(p1 >> 32n) ^ c[1] ^ k[0], p1 & M, (p0 >> 32n) ^ c[3] ^ k[1], p0 & M];
  }
  return c.map(Number);
}

// shared/rng.hpp's stream layout: key = seed halves, counter = {block, stream} halves.
function normals(seed, stream, n) {
  const out = [];
  const lo = (v) => v % 2 ** 32;
  const hi = (v) => Math.floor(v / 2 ** 32);
  for (let block = 0; out.length < n; block++) {
    const u = philox([lo(block), hi(block), lo(stream), hi(stream)], [lo(seed), hi(seed)]);
    for (const [a, b] of [[0, 1], [2, 3]]) {
      const v0 = (u[a] + 0.5) / 2 ** 32;
      const v1 = (u[b] + 0.5) / 2 ** 32;
      const r = Math.sqrt(-2 * Math.log(v0));
      out.push(Math.fround(r * Math.cos(2 * Math.PI * v1)),
               Math.fround(r * Math.sin(2 * Math.PI * v1)));
    }
  }
  return out.slice(0, n);
}

test('Philox4x32-10 matches the Random123 known-answer vectors', () => {
  // Random123 kat_vectors: philox4x32_10 with zero and with all-ones counter and key
  assert.deepEqual(philox([0, 0, 0, 0], [0, 0]).map((v) => v.toString(16).padStart(8, '0')),
                   ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
  const ones = 0xffffffff;
  const hex = philox([ones, ones, ones, ones], [ones, ones])
    .map((v) => v.toString(16).padStart(8, '0'));
  assert.deepEqual(hex, ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
});

test('wasm normals equal the documented seed 42 stream 0 numbers', () => {
  // shared/rng.hpp, computed by tests/cpp/core/make_reference.py (python3)
  const documented = [-0.9701898098, 0.1940189600, -1.2356207371, 1.9239267111,
                      -0.0731815100, 0.1391374916, -1.1066650152, 0.3266829550];
  const got = Module.normals(42, 0, 8);
  documented.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-9, `normal ${i}: ${got[i]}`));
});

test('wasm normals equal the JavaScript reference across seeds and streams', () => {
  for (const [seed, stream, n] of [[0, 0, 10], [42, 7, 1003], [2 ** 32 + 5, 2 ** 33 + 1, 64]]) {
    const want = normals(seed, stream, n);
    const got = Module.normals(seed, stream, n);
    assert.equal(got.length, n);
    // up to 1 ulp of float: cos/sin/log of the two libms may differ in the last double bit
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1, Math.abs(want[i])),
                `seed ${seed} stream ${stream} normal ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});

test('normals rejects a negative or fractional seed with a message', () => {
  assert.throws(() => Module.normals(-1, 0, 4), /seed and stream must be non-negative integers/);
  assert.throws(() => Module.normals(1.5, 0, 4), /seed and stream/);
});
