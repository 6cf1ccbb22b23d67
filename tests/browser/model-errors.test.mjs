// Bad model files in the page: truncated, not JSON (an HTML page, binary, not UTF-8, plain
// text), JSON of the wrong shape (a tensor's shape, a missing tensor, another version, huge
// dimensions), too large (by Content-Length, and streamed without one), one that exhausts the
// sampler's memory, and a missing file. Each shows a message naming the problem, the model
// selector keeps the previous model, and a following run with it gives digit-like images.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, gridCellStats, isDigitLike, launch, openPage, serveSite, sourceDir,
         waitForModel } from './browser.mjs';

const MiB = 2 ** 20;
const realIndex = JSON.parse(readFileSync(join(sourceDir, 'web', 'models', 'index.json'), 'utf8'));
const realFile = realIndex.models[0].file;
const realText = readFileSync(process.env.DDPM_TEST_MODEL ||
                              join(sourceDir, 'web', 'models', realFile), 'utf8');
const doc = JSON.parse(realText);
// a regular expression matching `text` as it is
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const literal = (text) => new RegExp(escape(text));
const edited = (edit) => {
  const copy = structuredClone(doc);
  edit(copy);
  return JSON.stringify(copy);
};

// A response claiming 600 MiB that sends a few bytes and then nothing.
function claimsHuge(req, res) {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': 600 * MiB });
  res.write('{"format": "ddpm-weights", ');
}

// A response without Content-Length streaming up to 200 MiB; counts what it could send.
const stream = { sent: 0, closedEarly: false };
function streamsHuge(req, res) {
  const chunk = Buffer.alloc(MiB, 'a');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.on('close', () => { stream.closedEarly = stream.sent < 200 * MiB; });
  res.write('{"pad": "');
  const more = () => {
    while (stream.sent < 200 * MiB && !res.destroyed) {
      stream.sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', more);
        return;
      }
    }
    if (!res.destroyed) res.end('"}');
  };
  more();
}

const first = doc.tensors[0];
const last = doc.tensors[doc.tensors.length - 1];
const cases = [
  { name: 'truncated file', body: realText.slice(0, realText.length >> 1),
    expect: new RegExp(escape('the file ends too early, as if cut short (download or export ' +
                              'it again): weights file: (file): not valid JSON: parse error ') +
                       "at line 1, column \\d+.*last read: '.{1,41}'") },
  { name: 'HTML page', body: '<!doctype html><html><body><h1>Not Found</h1></body></html>',
    expect: literal('the server sent an HTML page, not a weights file (often an error page: ' +
                    "check the file's address in the model list)") },
  { name: 'PNG image', body: readFileSync(join(sourceDir, 'web', 'models',
                                               'mnist-base12-samples.png')),
    expect: /the file holds binary data, not a JSON weights file/ },
  { name: 'not UTF-8', body: Buffer.concat([Buffer.from('{"format": "'),
                                            Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('"}')]),
    expect: /the file is not UTF-8 text \(binary data\?\), so not a JSON weights file/ },
  { name: 'plain text', body: 'weights go here\n',
    expect: /not a JSON weights file: it starts with "weights go here ", not "\{"/ },
  { name: 'wrong tensor shape', body: edited((d) => { d.tensors[0].shape = [1, 1, 1, 1]; }),
    expect: new RegExp(`weights file: tensors\\.${first.name.replaceAll('.', '\\.')}\\.shape: ` +
                       `expected \\[${first.shape.join(', ')}\\], got \\[1,1,1,1\\]`) },
  { name: 'missing tensor', body: edited((d) => { d.tensors.pop(); }),
    expect: new RegExp(`weights file: tensors\\.${last.name.replaceAll('.', '\\.')}: missing`) },
  { name: 'format version 2', body: edited((d) => { d.version = 2; }),
    expect: /weights file: version: unsupported version 2 \(this reader knows 1\)/ },
  { name: 'huge dimensions',
    body: JSON.stringify({ ...doc, tensors: [],
                           model: { ...doc.model, base_channels: 256, channel_mult: [1, 2, 2, 2],
                                    attention_resolutions: [], image_size: [256, 256] } }),
    expect: /weights file: model\.\(parameter count\): expected at most 67108864, got 93862145/ },
  { name: '600 MiB by Content-Length', body: claimsHuge,
    expect: literal("the file is 600.0 MiB, over the page's limit of 128.0 MiB " +
                    '(use the ddpm command for larger models)') },
  { name: 'endless stream', body: streamsHuge,
    expect: literal("the file is larger than the page's limit of 128.0 MiB (stopped reading " +
                    'there; use the ddpm command for larger models)') },
  // parsed by the module, which runs out of its 512 MiB: in Chromium 20 MiB of numbers gave
  // a thrown std::bad_alloc, 100 MiB an abort of the module; either replaces the worker
  { name: '20 MiB of numbers', body: Buffer.from(`{"tensors": [${'0,'.repeat(10 * MiB)}0]}`),
    expect: /out of memory/ },
  { name: '100 MiB of numbers', body: Buffer.from(`{"tensors": [${'0,'.repeat(50 * MiB)}0]}`),
    expect: /out of memory/ },
  { name: 'missing file', file: 'no-such-model.json',
    expect: /the server answered HTTP 404 Not Found: there is no file at this address/ },
];

const fixed = {};
for (const [i, c] of cases.entries()) {
  c.file ||= `bad-${i}.json`;
  if (c.body) fixed[`/models/${c.file}`] = c.body;
}
fixed['/models/test-index.json'] = JSON.stringify({
  models: [...realIndex.models, ...cases.map((c) => ({ file: c.file, name: c.name }))],
});
if (process.env.DDPM_TEST_MODEL) fixed[`/models/${realFile}`] = realText;

const server = await serveSite(fixed);
const browser = await launch();
test.after(async () => { await browser.close(); await server.close(); });

test('a bad model file gives a message, and the previous model keeps working', async () => {
  const { page, errors } = await openPage(browser,
    `${server.url}/index.html?models=models/test-index.json&workers=2`);
  await waitForModel(page);
  const realUrl = `${server.url}/models/${realFile}`;
  const state = () => page.evaluate(() => {
    const el = document.querySelector('ddpm-demo');
    return { message: el.el.modelError.textContent, selected: el.el.form.elements.model.value,
             model: el.model.url, status: el.el.status.textContent,
             workers: el.pool.workers.length };
  });
  assert.equal((await state()).model, realUrl);
  // the first run starts the workers (two, or one on a one-core machine) with the real model
  const { workers } = await generate(page, { samples: 4, seed: 0 });

  for (const [i, c] of cases.entries()) {
    const started = Date.now();
    await page.selectOption('ddpm-demo >> select[name="model"]', { label: c.name });
    await page.waitForFunction((name) =>
      document.querySelector('ddpm-demo').el.modelError.textContent.includes(`"${name}"`),
    c.name, { timeout: 120000 });
    const s = await state();
    console.log(`${c.name} (${Date.now() - started} ms, ${s.workers} workers): ${s.message}`);
    assert.ok(s.message.startsWith(`Could not load model "${c.name}" ` +
                                   `(${server.url}/models/${c.file}): `), s.message);
    assert.match(s.message, c.expect);
    assert.match(s.message, /\. The previous model stays loaded\.$/);
    assert.ok(s.message.length < 600, `a short message (${s.message.length} characters)`);
    assert.equal(s.selected, realUrl, 'the selector shows the previous model again');
    assert.equal(s.model, realUrl);
    assert.equal(s.status, 'Ready.');

    // the workers answer: a run with the previous model finishes with digit-like images
    const run = await generate(page, { samples: 4, seed: 10 + i });
    assert.equal(run.batch, 4);
    assert.equal(run.workers, workers);
    const stats = await gridCellStats(page);
    assert.equal(stats.length, 4);
    const digits = stats.filter(isDigitLike).length;
    assert.ok(digits >= 3, `${digits} of 4 cells look like digits after "${c.name}"`);
  }
  // the page stopped reading the endless stream near the limit instead of taking all of it
  console.log(`endless stream: ${stream.sent / MiB} MiB sent before the page closed it`);
  assert.ok(stream.closedEarly, 'the page closed the endless stream');
  assert.ok(stream.sent < 160 * MiB, `${stream.sent / MiB} MiB sent`);

  // the browser logs the 404 itself; nothing else may reach the console
  const others = errors.filter((e) => !/status of 404/.test(e));
  assert.deepEqual(others, [], 'no console errors besides the 404');
  await page.close();
});
