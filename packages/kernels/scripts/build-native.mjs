#!/usr/bin/env node
// Builds the optional oneDNN addon (build/Release/voxnas_kernels.node) with node-gyp.
// It never fails: when oneDNN, a compiler or the Node headers are missing it prints ONE line and
// exits 0, and @voxnas/kernels then runs on the JavaScript kernels (nativeStatus.loaded === false).
//   --if-missing   do nothing when the binary already exists (for the package's "install" script)
//   VOXNAS_KERNELS_SKIP_BUILD=1   skip the build entirely
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = join(pkgDir, 'build', 'Release', 'voxnas_kernels.node');
const logFile = join(pkgDir, 'build', 'native-build.log');

function done(line) {
  console.log(`@voxnas/kernels: ${line}`);
  process.exit(0);
}

try {
  if (process.env.VOXNAS_KERNELS_SKIP_BUILD) done('native build skipped (VOXNAS_KERNELS_SKIP_BUILD is set); using JavaScript kernels');
  if (process.argv.includes('--if-missing') && existsSync(binary)) done('native addon already built');
  if (!existsSync(join(pkgDir, 'binding.gyp'))) done('binding.gyp not found; using JavaScript kernels');

  const require = createRequire(import.meta.url);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const args = [gyp, 'rebuild'];
  // Use the headers installed next to this node (Debian's /usr/include/node, official tarballs'
  // include/node) so no download from nodejs.org is needed.
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8', timeout: 10 * 60_000 });
  const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}\n${r.error ? String(r.error) : ''}`;
  mkdirSync(join(pkgDir, 'build'), { recursive: true });
  writeFileSync(logFile, log);
  if (r.status === 0 && existsSync(binary)) done(`native addon built (${binary})`);

  const hint = /dnnl\.hpp|ldnnl/.test(log)
    ? 'oneDNN not found (Debian/Ubuntu: apt install libdnnl-dev; macOS: brew install onednn)'
    : /not found|No such file|ENOENT/.test(log)
      ? 'a compiler, make or python3 is missing (Debian/Ubuntu: apt install g++ make python3)'
      : 'node-gyp failed';
  done(`native build failed — ${hint}; using JavaScript kernels (log: ${logFile})`);
} catch (e) {
  done(`native build failed — ${e instanceof Error ? e.message : String(e)}; using JavaScript kernels`);
}
