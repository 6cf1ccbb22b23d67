// Shared set-up of the browser test and benchmark: Debian's Chromium (never a downloaded
// browser) through playwright-core, and the page served from web/ with the wasm build mounted.
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

// Opens a page, collecting console errors and uncaught exceptions (of workers too).
export async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
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
