// Loads the wasm module (the classic MODULARIZE build) into node for the tests: the factory
// script is evaluated as CommonJS and given the binary, since this package is "type": "module".
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sourceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// DDPM_WASM_MODULE_DIR: the folder holding ddpm.js and ddpm.wasm (default: web/wasm/).
export function moduleDir() {
  return process.env.DDPM_WASM_MODULE_DIR || join(sourceDir, 'web', 'wasm');
}

export async function loadModule() {
  const dir = resolve(moduleDir());
  const js = join(dir, 'ddpm.js');
  if (!existsSync(js)) {
    throw new Error(`${js} not found: build the wasm configuration first ` +
                    '(scripts/build.sh) or set DDPM_WASM_MODULE_DIR');
  }
  const module = { exports: {} };
  const factory = new Function('module', 'exports', 'require', '__dirname', '__filename',
                               readFileSync(js, 'utf8'));
  factory(module, module.exports, createRequire(js), dir, js);
  const create = module.exports;
  return create({ wasmBinary: readFileSync(join(dir, 'ddpm.wasm')) });
}

// A session over a weights text; throws the module's message when the file is refused.
export function openSession(Module, text) {
  const session = new Module.DdpmSession(text);
  const error = session.error();
  if (error) {
    session.delete();
    throw new Error(error);
  }
  return session;
}

// The trained model the page ships (DDPM_TEST_MODEL overrides it).
export function modelPath() {
  return process.env.DDPM_TEST_MODEL || join(sourceDir, 'web', 'models', 'mnist-base12.json');
}
