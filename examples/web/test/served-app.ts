// The built web app served on 127.0.0.1 and opened in Chromium with every request and console error
// watched: shared by the app's browser tests.
import { createServer, type Server } from 'node:http';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { assertChromium, chromiumArgs, chromiumPath } from '@voxnas/browser-testing';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
};

/** A static server for the built app on 127.0.0.1, cross-origin isolated like `vite preview`. */
export async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

export const isLocal = (url: string) => /^(data|blob):/.test(url) || ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);

export interface Watched {
  page: Page;
  foreign: string[];
  errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<Watched> {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 760 } });
  const w: Watched = { page, foreign: [], errors: [] };
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (isLocal(u)) return route.continue();
    w.foreign.push(u);
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(`uncaught: ${e.message}`));
  await page.goto(url);
  return w;
}

/** Newest modification time of the files under `dir` (recursively), in ms. */
async function newest(dir: string): Promise<number> {
  let t = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !e.parentPath.includes('node_modules')) t = Math.max(t, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return t;
}

/**
 * The app as `pnpm build` (turbo, before the tests) leaves it in dist/; built here when missing or
 * older than its sources or the sources of the voxnas packages it bundles.
 */
export async function builtApp(): Promise<string> {
  const dist = join(ROOT, 'dist');
  const sources = [join(ROOT, 'src'), ...['core', 'volume', 'datasets', 'metrics', 'ops', 'webgpu-kernels', 'unet', 'train', 'onnx'].map((p) => join(ROOT, '..', '..', 'packages', p, 'src'))];
  const files = [join(ROOT, 'index.html'), join(ROOT, 'vite.config.ts'), join(ROOT, 'package.json')];
  let inputs = 0;
  for (const d of sources) inputs = Math.max(inputs, await newest(d));
  for (const f of files) inputs = Math.max(inputs, (await stat(f)).mtimeMs);
  const built = await stat(join(dist, 'index.html')).then((s) => s.mtimeMs, () => 0);
  if (built < inputs) await build({ root: ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  return dist;
}

/** A running app: its URL and a headless Chromium (the switches of `@voxnas/browser-testing`). */
export interface LaunchedApp {
  readonly url: string;
  readonly browser: Browser;
  /** Closes the browser and the server. */
  close(): Promise<void>;
}

/** Builds the app when stale, serves it on 127.0.0.1 and starts Debian's Chromium. */
export async function launchApp(): Promise<LaunchedApp> {
  assertChromium();
  const { server, url } = await serve(await builtApp());
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs], headless: true });
  return {
    url,
    browser,
    close: async () => {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}
