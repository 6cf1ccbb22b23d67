// A tiny static file server for the browser tests and the benchmark: serves a folder on
// 127.0.0.1 (any free port), with overrides mapping URL prefixes to other folders or to
// fixed contents (e.g. a malformed model file).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

// root: folder served at /; mounts: {'/wasm/': folder}; fixed: {'/x.json': 'text'}, or a
// function (req, res) answering the request itself (a stream, odd headers).
export async function serve({ root, mounts = {}, fixed = {} }) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (typeof fixed[path] === 'function') {
        fixed[path](req, res);
        return;
      }
      if (path in fixed) {
        res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'text/plain' });
        res.end(fixed[path]);
        return;
      }
      let base = root;
      let rel = path;
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (path.startsWith(prefix)) { base = dir; rel = path.slice(prefix.length); break; }
      }
      // normalize('/' + rel) cannot climb above base
      let file = resolve(base, '.' + normalize('/' + rel));
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  // close() also ends connections a handler left open
  const close = () => new Promise((r) => {
    server.close(r);
    server.closeAllConnections();
  });
  return { url: `http://127.0.0.1:${port}`, close };
}
