import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/** `pnpm demo`: the browser training demo, voxnas packages from source, the Node fixtures served at /. */
export default defineConfig({
  root: here,
  publicDir: resolve(here, '../artifacts/fixtures'),
  resolve: { conditions: ['@voxnas/source', 'module', 'browser', 'development|production'] },
  build: { target: 'es2022', outDir: resolve(here, 'dist'), emptyOutDir: true },
  server: { host: '127.0.0.1' },
});
