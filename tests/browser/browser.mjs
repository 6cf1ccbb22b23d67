// Shared set-up of the browser tests and benchmark: Debian's Chromium (never a downloaded
// browser) through playwright-core, the page served from web/ with the wasm build mounted,
// and the statistics that tell digit-like grid cells from noise.
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './static-server.mjs';

export const sourceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function chromiumPath() {
  const path = process.env.DDPM_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`${path} not found: install chromium (scripts/setup.sh)`);
  return path;
}

// Serves web/ (DDPM_WEB_DIR) at / and again at `subPath` (as on a course site), with wasm/
// from DDPM_WASM_MODULE_DIR when set.
export async function serveSite(fixed = {}, { subPath = '/course/ddpm/' } = {}) {
  const root = process.env.DDPM_WEB_DIR || join(sourceDir, 'web');
  const wasmDir = process.env.DDPM_WASM_MODULE_DIR || join(root, 'wasm');
  if (!existsSync(join(wasmDir, 'ddpm.wasm'))) {
    throw new Error(`${wasmDir}/ddpm.wasm not found: build the wasm configuration first`);
  }
  const mounts = { [`${subPath}wasm/`]: wasmDir, [subPath]: root, '/wasm/': wasmDir };
  return serve({ root, mounts, fixed });
}

export async function launch() {
  return chromium.launch({ executablePath: chromiumPath(), headless: true,
                           args: ['--no-sandbox', '--disable-gpu'] });
}

// Opens a page, collecting console errors and uncaught exceptions (of workers too); `init`:
// a function the page runs before its own scripts.
export async function openPage(browser, url, { init } = {}) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  if (init) await page.addInitScript(init);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

// Waits until the demo has a model (or failed to get one); returns whether it has one.
export async function waitForModel(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('ddpm-demo');
    return el && el.model && !el.el.form.elements.model.disabled;
  }, null, { timeout: 120000 });
}

// Presses Generate and waits for the run to finish; returns the element's lastRun figures.
export async function generate(page, settings = {}) {
  await page.evaluate((s) => {
    const el = document.querySelector('ddpm-demo');
    const f = el.el.form.elements;
    for (const [k, v] of Object.entries(s)) f[k].value = String(v);
    el.updateFields();
    el.lastRun = null;
    window.__clicked = performance.now();
    el.el.run.click();
  }, settings);
  await page.waitForFunction(() => document.querySelector('ddpm-demo').lastRun, null,
                             { timeout: 300000 });
  return page.evaluate(() => document.querySelector('ddpm-demo').lastRun);
}

// Per 28x28 cell of the grid's pixels (grey 0..255): the share of dark and bright pixels and
// the high-frequency energy: mean squared difference of horizontal neighbours over twice the
// variance (about 1 for white noise, small for smooth strokes on a flat background).
export function cellStats(grey, width, cells, size, pad) {
  return cells.map(([col, row]) => {
    const px = [];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        px.push(grey[(row * (size + pad) + pad + y) * width + col * (size + pad) + pad + x]);
      }
    }
    const mean = px.reduce((a, b) => a + b, 0) / px.length;
    const variance = px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length;
    let diff = 0;
    let count = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 1; x < size; x++) {
        diff += (px[y * size + x] - px[y * size + x - 1]) ** 2;
        count++;
      }
    }
    return {
      dark: px.filter((v) => v < 40).length / px.length,
      bright: px.filter((v) => v > 180).length / px.length,
      hf: variance > 0 ? diff / count / (2 * variance) : 0,
    };
  });
}

export async function gridPixels(page) {
  return page.evaluate(() => {
    const p = document.querySelector('ddpm-demo').painter;
    const grey = Array.from({ length: p.image.width * p.image.height },
                            (_, i) => p.image.data[i * 4]);
    return { grey, width: p.image.width, cols: p.cols, n: p.n, pad: p.pad, size: p.shape.h };
  });
}

// Dark background, some bright strokes, smooth (unlike noise).
export function isDigitLike(s) {
  return s.dark > 0.5 && s.bright > 0.04 && s.hf < 0.5;
}

// The statistics of every cell of the page's grid.
export async function gridCellStats(page) {
  const g = await gridPixels(page);
  const cells = Array.from({ length: g.n }, (_, i) => [i % g.cols, Math.floor(i / g.cols)]);
  return cellStats(g.grey, g.width, cells, g.size, g.pad);
}
