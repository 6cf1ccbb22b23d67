// Fetching a weights file for the page, and wording what goes wrong. A missing file, one over
// the page's size limit (by Content-Length before reading, else by the bytes read, never
// keeping more than the limit) and one that is not JSON text (an HTML error page, binary
// data) are refused here, before a worker sees them; the workers' own refusals (the wasm
// module's validation, shared/weights.cpp) are shortened and given a hint.

// The wasm module has at most 512 MiB of memory and holds a file's text, its parsed document
// and the decoded tensors at once, so the page stops at 128 MiB; the format allows 512 MiB
// (docs/limits.md), for the command-line tools.
export const MAX_MODEL_BYTES = 128 * 2 ** 20;

const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]);  // and a UTF-8 BOM

// What a file that should start with '{' starts with instead, as a reason to refuse it.
function badStart(bytes, at) {
  if (bytes[at] === 0x7b) return null;  // '{'
  if (bytes[at] === 0x3c) {             // '<'
    return 'the server sent an HTML page, not a weights file (often an error page: ' +
           'check the file\'s address in the model list)';
  }
  const head = bytes.subarray(at, at + 32);
  if (head.some((b) => b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f)) {
    return 'the file holds binary data, not a JSON weights file (ddpm export writes one)';
  }
  const text = new TextDecoder().decode(head).replace(/\s+/g, ' ');
  return `not a JSON weights file: it starts with "${text}", not "{"`;
}

// The text of the weights file at `url`; throws an Error saying what is wrong with it.
export async function fetchModelText(url, { maxBytes = MAX_MODEL_BYTES } = {}) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not reach the server (${e.message}): check the connection`);
  }
  const refuse = (reason) => {
    response.body?.cancel().catch(() => {});
    throw new Error(reason);
  };
  if (!response.ok) {
    refuse(`the server answered HTTP ${response.status} ${response.statusText}` +
           (response.status === 404 ? ': there is no file at this address' : ''));
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    refuse(`the file is ${mib(declared)}, over the page's limit of ${mib(maxBytes)} ` +
           '(use the ddpm command for larger models)');
  }
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  let checked = false;  // whether the first character that is not whitespace was seen
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!checked) {
      const at = value.findIndex((b) => !WHITESPACE.has(b));
      if (at >= 0) {
        checked = true;
        const reason = badStart(value, at);
        if (reason) {
          reader.cancel().catch(() => {});
          throw new Error(reason);
        }
      }
    }
    size += value.length;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      throw new Error(`the file is larger than the page's limit of ${mib(maxBytes)} ` +
                      '(stopped reading there; use the ddpm command for larger models)');
    }
    chunks.push(value);
  }
  if (!checked) throw new Error('the file is empty');
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('the file is not UTF-8 text (binary data?), so not a JSON weights file');
  }
}

// A worker's refusal of a file, shorter and with a hint where one helps.
export function explainRefusal(error) {
  let message = String(error.message || error)
    .replace(/\[json\.exception\.[a-z_]+\.\d+\] /, '')
    .replace(/last read: '(.{40}).+$/s, "last read: '$1…'");
  if (message.includes('std::bad_alloc')) {
    return 'out of memory: reading this file needs more than the sampler\'s 512 MiB';
  }
  if (error.fatal) {
    message = message.replace(/\. Build with .*$/s, '');
    return `the sampler crashed reading this file (${message}), most likely out of memory; ` +
           'it was restarted';
  }
  if (message.includes('unexpected end of input') || message.includes('missing closing')) {
    return `the file ends too early, as if cut short (download or export it again): ${message}`;
  }
  return message;
}
