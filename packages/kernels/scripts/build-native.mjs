#!/usr/bin/env node
// Builds the optional oneDNN addon (build/Release/voxnas_kernels.node) with node-gyp.
// It never fails: when oneDNN, a compiler or the Node headers are missing it prints ONE line naming
// the cause and the exact fix and exits 0; @voxnas/kernels then runs on the JavaScript kernels.
// Every run leaves build/Release/native-build.json ({ result, detail, fix }) for `voxnas doctor`: a package
// without that file never ran this script (e.g. pnpm 10 skipped the dependency's build script).
//   --if-missing        do nothing when a binary exists or the prebuilt package for this platform
//                       (@voxnas/kernels-<platform>-<arch>) loads (the package's "install" script)
//   --prebuilt <dir>    fill a prebuilt platform package: copy the addon (built first if missing) and
//                       the oneDNN / OpenMP / OpenCL shared libraries it loads into <dir>; on Linux
//                       the addon is linked with DT_RPATH $ORIGIN, so it finds them there
//   VOXNAS_KERNELS_SKIP_BUILD=1   skip the build entirely
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = join(pkgDir, 'build', 'Release', 'voxnas_kernels.node');
const logFile = join(pkgDir, 'build', 'native-build.log');
const statusFile = join(pkgDir, 'build', 'Release', 'native-build.json');
const prebuiltAt = process.argv.indexOf('--prebuilt');
const prebuiltDir = prebuiltAt >= 0 ? process.argv[prebuiltAt + 1] : undefined;

/** The install line for oneDNN and a C++ toolchain on this platform. */
function installLine(what) {
  if (process.platform === 'darwin') return what === 'compiler' ? 'xcode-select --install' : 'brew install onednn';
  const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
  const pkgs = what === 'compiler' ? 'g++ make python3' : 'libdnnl-dev';
  return `${sudo}apt-get install -y ${pkgs}`;
}

const rebuild = `node ${join(pkgDir, 'scripts', 'build-native.mjs')}`;

function done(result, line, extra = {}) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, `${JSON.stringify({ result, detail: line, ...extra, at: new Date().toISOString() }, null, 2)}\n`);
  console.log(`@voxnas/kernels: ${line}`);
  process.exit(0);
}

/** True when `cmd --version` runs. */
function runs(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore', shell: false });
  return r.status === 0;
}

/** The prebuilt platform package's addon, when it is installed and loads here. */
function prebuiltLoads() {
  try {
    const require = createRequire(join(pkgDir, 'package.json'));
    const dir = dirname(require.resolve(`@voxnas/kernels-${process.platform}-${process.arch}/package.json`));
    const file = join(dir, 'voxnas_kernels.node');
    if (!existsSync(file)) return undefined;
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
    return r.status === 0 ? file : undefined;
  } catch {
    return undefined;
  }
}

try {
  if (process.env.VOXNAS_KERNELS_SKIP_BUILD) {
    done('skipped', 'native build skipped (VOXNAS_KERNELS_SKIP_BUILD is set); using JavaScript kernels', { fix: `unset VOXNAS_KERNELS_SKIP_BUILD; ${rebuild}` });
  }
  if (!prebuiltDir && process.argv.includes('--if-missing')) {
    if (existsSync(binary)) done('built', 'native addon already built');
    const prebuilt = prebuiltLoads();
    if (prebuilt) done('prebuilt', `prebuilt native addon found (${prebuilt}); nothing to build`);
  }
  if (prebuiltDir && existsSync(binary) && existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')).result === 'built') {
    copyPrebuilt(prebuiltDir);
    console.log(`@voxnas/kernels: prebuilt addon and its shared libraries copied to ${prebuiltDir}`);
    process.exit(0);
  }
  if (!existsSync(join(pkgDir, 'binding.gyp'))) done('build-failed', 'binding.gyp not found; using JavaScript kernels');

  // node-gyp needs a C++ compiler, make and python3; say which one is missing before trying.
  const cxx = process.env.CXX ?? (process.platform === 'darwin' ? 'clang++' : 'c++');
  const tools = [cxx, 'make', process.env.PYTHON ?? 'python3'].filter((t) => !runs(t));
  if (tools.length > 0) {
    const fix = installLine('compiler');
    done('compiler-missing', `native build skipped — compiler or build tool missing (${tools.join(', ')}): \`${fix}\`, then \`${rebuild}\`; using JavaScript kernels`, { fix: `${fix} && ${rebuild}`, missing: tools });
  }

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
  if (r.status === 0 && existsSync(binary)) {
    if (prebuiltDir) {
      copyPrebuilt(prebuiltDir);
      done('built', `prebuilt addon and its shared libraries written to ${prebuiltDir}`);
    }
    done('built', `native addon built (${binary})`);
  }
  if (prebuiltDir) {
    console.error(log);
    console.error(`@voxnas/kernels: building the prebuilt addon failed (log: ${logFile})`);
    process.exit(1);
  }

  if (/dnnl\.hpp|-ldnnl|ldnnl/.test(log)) {
    const fix = installLine('onednn');
    done('onednn-missing', `native build failed — oneDNN not found: \`${fix}\`, then \`${rebuild}\`; using JavaScript kernels (log: ${logFile})`, { fix: `${fix} && ${rebuild}` });
  }
  if (/not found|No such file|ENOENT/.test(log)) {
    const fix = installLine('compiler');
    done('compiler-missing', `native build failed — a compiler, make or python3 is missing: \`${fix}\`, then \`${rebuild}\`; using JavaScript kernels (log: ${logFile})`, { fix: `${fix} && ${rebuild}` });
  }
  done('build-failed', `native build failed — node-gyp failed; using JavaScript kernels (log: ${logFile})`, { fix: `read ${logFile}, then ${rebuild}` });
} catch (e) {
  if (prebuiltDir) {
    console.error(`@voxnas/kernels: building the prebuilt addon failed — ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  done('build-failed', `native build failed — ${e instanceof Error ? e.message : String(e)}; using JavaScript kernels`, { fix: rebuild });
}

/**
 * Copies the addon and the shared libraries it loads that a machine without libdnnl-dev lacks
 * (oneDNN, and what oneDNN itself links: OpenMP's libgomp, the OpenCL ICD loader) into `dir`. The
 * addon is linked with DT_RPATH $ORIGIN (binding.gyp), which the loader also uses for the
 * dependencies of those libraries (a DT_RUNPATH would not be).
 */
function copyPrebuilt(dir) {
  mkdirSync(dir, { recursive: true });
  const wanted = /^(libdnnl\.so\.\d+|libgomp\.so\.\d+|libOpenCL\.so\.\d+) => (\S+)/;
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' }).stdout ?? '';
  const libs = ldd
    .split('\n')
    .map((l) => wanted.exec(l.trim()))
    .filter((m) => m !== null);
  if (!libs.some((m) => m[1].startsWith('libdnnl'))) throw new Error(`ldd found no libdnnl for ${binary}:\n${ldd}`);
  rmSync(join(dir, 'voxnas_kernels.node'), { force: true });
  copyFileSync(binary, join(dir, 'voxnas_kernels.node'));
  for (const [, soname, path] of libs) copyFileSync(realpathSync(path), join(dir, soname));
  writeFileSync(
    join(dir, 'prebuilt.json'),
    `${JSON.stringify({ libraries: libs.map((m) => m[1]), builtWith: readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]+)"/)?.[1] ?? 'unknown' }, null, 2)}\n`,
  );
}
