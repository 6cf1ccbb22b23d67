// scripts/site.sh builds a self-contained folder: every module the page imports, the worker,
// the wasm files, the model list and its models, the test digits; no tools, nothing else.
// Uses the wasm files the build copied into web/wasm/ (DDPM_SKIP_BUILD=1).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { sourceDir } from './wasm-module.mjs';

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

// The relative module imports of a script, followed recursively.
function moduleGraph(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)) {
    moduleGraph(join(dirname(file), spec), seen);
  }
  return seen;
}

test('site.sh writes a folder that holds everything the page loads', () => {
  const work = mkdtempSync(join(tmpdir(), 'ddpm-site-'));
  try {
    const out = join(work, 'site');
    execFileSync('bash', [join(sourceDir, 'scripts', 'site.sh'), out],
                 { cwd: sourceDir, env: { ...process.env, DDPM_SKIP_BUILD: '1' },
                   stdio: ['ignore', 'ignore', 'pipe'] });
    const files = listFiles(out).map((f) => relative(out, f)).sort();
    const modules = [...moduleGraph(join(out, 'ddpm-demo.js'))].map((f) => relative(out, f));
    const index = JSON.parse(readFileSync(join(out, 'models', 'index.json'), 'utf8'));
    const expected = new Set([
      'index.html', ...modules, 'js/worker.js', 'wasm/ddpm.js', 'wasm/ddpm.wasm',
      'data/test-digits.json', 'models/index.json', ...index.models.map((m) => `models/${m.file}`),
    ]);
    assert.deepEqual(files, [...expected].sort());
    assert.ok(modules.includes('js/pool.js') && modules.includes('js/settings.js'));
    // every file is an unchanged copy of web/
    for (const f of files) {
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(sourceDir, 'web', f))), f);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
