/**
 * The install path a user takes, for real: the published packages are packed (`pnpm pack`, which
 * runs @voxnas/kernels-linux-x64's `prepack` fill), installed with pnpm 10 into a fresh project
 * OFFLINE from those tarballs (`voxnas` as a dependency, the way the README's "Install" section
 * says; overrides point every @voxnas/* at its tarball instead of the registry), and the installed
 * `voxnas doctor` is asked what it found.
 *
 * Third-party packages come from the pnpm store (see `install` for the one metadata caveat).
 *
 * 1. As is (pnpm 10 skips @voxnas/kernels' unapproved build script): the prebuilt
 *    @voxnas/kernels-linux-x64 loads; gradients work without the @tensorflow/tfjs umbrella, which is
 *    not installed; no TensorFlow.js banner. Then, with the prebuilt's binary moved away, doctor
 *    names "build-not-run" and the command that builds it.
 * 2. A machine without libdnnl-dev: in a private mount namespace, overlays hide every file of
 *    Debian's libdnnl-dev and libdnnl2 (headers, libraries) from this process tree only — nothing is
 *    uninstalled. The prebuilt package is left out (as on a platform without one) and the build
 *    script is approved, so it runs and fails at the header; doctor names "onednn-missing" and the
 *    apt line.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** Every published (non-private) package of the repository, by directory. */
const PACKAGES = readdirSync(join(root, 'packages')).filter((d) => {
  const f = join(root, 'packages', d, 'package.json');
  return existsSync(f) && !(JSON.parse(readFileSync(f, 'utf8')) as { private?: boolean }).private;
});

/**
 * The environment of a user's shell: without the NODE_PATH that `pnpm test` sets for its scripts (it
 * lists this workspace's `node_modules/.pnpm/node_modules`, through which Node would resolve the
 * workspace's own @voxnas/kernels-linux-x64 from inside the fresh project).
 */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_PATH'));

/**
 * Runs a command without blocking the worker's event loop (a long spawnSync starves vitest's RPC:
 * "Timeout calling onTaskUpdate"); resolves with stdout + stderr, rejects with both on failure.
 */
function run(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: userEnv, encoding: 'utf8', timeout, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

const has = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
const canRun = linuxX64 && has('pnpm') && existsSync(join(root, 'packages', 'cli', 'dist', 'bin.js'));
/** Root, unshare and overlayfs: what variant 2 needs to hide oneDNN from one process tree. */
const canHide =
  canRun &&
  process.getuid?.() === 0 &&
  has('dpkg', ['-s', 'libdnnl-dev']) &&
  spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0;

let work = '';
const tarballs: Record<string, string> = {};
let store = '';

/** A fresh project depending on the `voxnas` tarball, every @voxnas/* overridden to its tarball. */
function project(name: string, pnpmField: Record<string, unknown>): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const overrides = Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `voxnas-install-${name}`, private: true, dependencies: { voxnas: `file:${tarballs.voxnas}` }, pnpm: { overrides, ...pnpmField } }, null, 2),
  );
  return dir;
}

/**
 * `pnpm install` from the store. Every @voxnas/* package comes from its local tarball (overrides);
 * third-party packages come from the pnpm store. `--offline` needs pnpm's registry-metadata cache to
 * resolve version ranges, which a workspace installed from its lockfile may not have filled: the
 * first install may read missing metadata from the registry (`--prefer-offline`), later ones are
 * fully offline.
 */
let metadataCached = false;
function install(dir: string, wrap: string[] = []): Promise<string> {
  // No side-effects cache: the shared store may hold @voxnas/kernels already built (by an earlier
  // install where oneDNN was visible), which pnpm would reuse instead of running the build script.
  const args = ['install', metadataCached ? '--offline' : '--prefer-offline', '--store-dir', store, '--config.confirmModulesPurge=false', '--config.side-effects-cache=false'];
  metadataCached = true;
  return wrap.length ? sh(wrap[0]!, [...wrap.slice(1), 'pnpm', ...args], dir) : sh('pnpm', args, dir);
}

type Report = { native: { state: string; detail: string; fix?: string; source?: string }; nativeKernels: string[] };
async function doctor(dir: string, wrap: string[] = []): Promise<{ report: Report; stderr: string }> {
  const bin = join(dir, 'node_modules', '.bin', 'voxnas');
  const cmd = [...wrap, bin, 'doctor', '--json'];
  const r = await run(cmd[0]!, cmd.slice(1), dir, 120_000);
  if (r.code !== 0) throw new Error(`voxnas doctor exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return { report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/**
 * `unshare … sh -c` prefix that runs a command with Debian's libdnnl-dev and libdnnl2 files hidden:
 * an overlay on each directory holding them whose upper layer has a whiteout for every such file.
 */
let hidden: string[] | undefined;
function withoutOneDnn(): string[] {
  if (hidden) return hidden;
  const files = execFileSync('dpkg', ['-L', 'libdnnl-dev', 'libdnnl2'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.startsWith('/usr/include/') || f.startsWith('/usr/lib/'));
  const mounts: string[] = [];
  for (const base of ['/usr/include', `/usr/lib/${execFileSync('gcc', ['-dumpmachine'], { encoding: 'utf8' }).trim()}`]) {
    const upper = join(work, 'overlay', base.replaceAll('/', '_'), 'upper');
    const scratch = join(work, 'overlay', base.replaceAll('/', '_'), 'work');
    mkdirSync(upper, { recursive: true });
    mkdirSync(scratch, { recursive: true });
    let n = 0;
    for (const f of files.filter((x) => x.startsWith(`${base}/`))) {
      // Whiteout leaf entries only (files and symlinks); directories they leave empty stay.
      const isDir = spawnSync('test', ['-d', f]).status === 0 && spawnSync('test', ['-L', f]).status !== 0;
      if (isDir) continue;
      const at = join(upper, f.slice(base.length + 1));
      mkdirSync(dirname(at), { recursive: true });
      execFileSync('mknod', [at, 'c', '0', '0']);
      n += 1;
    }
    if (n > 0) mounts.push(`mount -t overlay overlay -o lowerdir=${base},upperdir=${upper},workdir=${scratch} ${base}`);
  }
  hidden = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `${mounts.join(' && ')} && exec "$@"`, 'sh'];
  return hidden;
}

describe.runIf(canRun)('installed from packed tarballs with pnpm 10, from the store', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'voxnas-install-'));
    store = (await sh('pnpm', ['store', 'path'], root)).trim();
    const packs = join(work, 'tarballs');
    mkdirSync(packs);
    // Four packs at a time (each is mostly pnpm's start-up).
    const queue = [...PACKAGES];
    const packer = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) await sh('pnpm', ['pack', '--pack-destination', packs], join(root, 'packages', p));
    };
    await Promise.all([packer(), packer(), packer(), packer()]);
    for (const f of readdirSync(packs)) {
      // voxnas-kernels-linux-x64-0.0.0.tgz → @voxnas/kernels-linux-x64; voxnas-0.0.0.tgz → voxnas
      const base = f.replace(/-\d+\.\d+\.\d+.*\.tgz$/, '');
      tarballs[base === 'voxnas' ? 'voxnas' : `@voxnas/${base.replace(/^voxnas-/, '')}`] = join(packs, f);
    }
  }, 300_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs every published package, the prebuilt one with its binary and licences', async () => {
    expect(Object.keys(tarballs).sort()).toEqual(
      PACKAGES.map((p) => (JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')) as { name: string }).name).sort(),
    );
    const list = await sh('tar', ['-tzf', tarballs['@voxnas/kernels-linux-x64']!], work);
    for (const f of ['voxnas_kernels.node', 'libdnnl.so.2', 'libgomp.so.1', 'libOpenCL.so.1', 'NOTICE', 'licenses/Apache-2.0.txt', 'licenses/oneDNN.copyright']) {
      expect(list).toContain(`package/${f}`);
    }
  });

  it('pnpm 10 as is: the prebuilt addon loads, gradients work without @tensorflow/tfjs, no banner; without it doctor says the build script never ran', async () => {
    const dir = project('prebuilt', {});
    const log = await install(dir);
    // pnpm 10 did not run the unapproved build script (it says so) — the prebuilt package covers it.
    expect(log).toMatch(/Ignored build scripts:[\s│]*@voxnas\/kernels@/);
    const { report, stderr } = await doctor(dir);
    expect(report.native).toMatchObject({ state: 'loaded', source: 'prebuilt' });
    expect(report.nativeKernels).toContain('Conv3D');
    expect(stderr).not.toMatch(/Hi, looks like you are running TensorFlow\.js/);
    // Also where the system oneDNN is hidden (no libdnnl-dev, no libdnnl2): the bundled copy loads.
    if (canHide) expect((await doctor(dir, withoutOneDnn())).report.native).toMatchObject({ state: 'loaded', source: 'prebuilt' });
    const pnpmDir = join(dir, 'node_modules', '.pnpm');
    expect(readdirSync(pnpmDir).filter((d) => d.startsWith('@tensorflow+tfjs@'))).toEqual([]);

    // d/dx sum(relu(x) * x) = 2x for x > 0, 0 below: through @voxnas/ops' bundled gradients.
    const cli = realpathSync(join(dir, 'node_modules', 'voxnas'));
    const script = `
      import { createRequire } from 'node:module';
      const req = createRequire(${JSON.stringify(join(cli, 'package.json'))});
      const ops = await import(req.resolve('@voxnas/ops'));
      const tf = await import(req.resolve('@tensorflow/tfjs-core'));
      await ops.initBackend({ logger: () => {} });
      const g = tf.grad((a) => tf.sum(tf.mul(tf.relu(a), a)))(tf.tensor1d([1.5, -2, 3]));
      console.log(JSON.stringify(Array.from(g.dataSync())));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], dir);
    expect(r.stderr).not.toMatch(/Hi, looks like/);
    expect(JSON.parse(r.stdout.trim())).toEqual([3, 0, 6]);

    // The same install on a platform without the prebuilt: move its binary away (a rename in this
    // project only; the pnpm store keeps its own hard link).
    const kernelsPkg = createRequire(join(cli, 'package.json')).resolve('@voxnas/kernels/package.json');
    const prebuilt = join(dirname(createRequire(kernelsPkg).resolve('@voxnas/kernels-linux-x64/package.json')), 'voxnas_kernels.node');
    renameSync(prebuilt, `${prebuilt}.away`);
    const missing = (await doctor(dir)).report.native;
    expect(missing.state).toBe('build-not-run');
    expect(missing.detail).toMatch(/pnpm 10 runs dependencies' build scripts only when approved/);
    expect(missing.fix).toMatch(/^node \/\S+\/@voxnas\/kernels\/scripts\/build-native\.mjs .*onlyBuiltDependencies.*pnpm rebuild @voxnas\/kernels/);
  }, 240_000);

  it.runIf(canHide)('without libdnnl-dev (hidden in a mount namespace), approved build: doctor says oneDNN is missing and gives the apt line', async () => {
    const wrap = withoutOneDnn();
    // The overlay really hides it: the compiler no longer finds dnnl.hpp.
    const probe = await run(wrap[0]!, [...wrap.slice(1), 'sh', '-c', 'echo "#include <dnnl.hpp>" | c++ -E -x c++ - >/dev/null'], work);
    expect(probe.code).not.toBe(0);
    expect(probe.stderr).toMatch(/dnnl\.hpp: No such file/);

    // Approved as the README says. From the registry the name alone is enough; pnpm 10.34 matches a
    // local tarball only with its `file:` spec (what `pnpm approve-builds --all` writes), so both.
    const spec = `@voxnas/kernels@file:../tarballs/${basename(tarballs['@voxnas/kernels']!)}`;
    const dir = project('no-onednn', { onlyBuiltDependencies: ['@voxnas/kernels', spec], ignoredOptionalDependencies: ['@voxnas/kernels-linux-x64'] });
    const log = await install(dir, wrap);
    expect(log).toMatch(/@voxnas\/kernels: native build failed — oneDNN not found/);
    const { report } = await doctor(dir, wrap);
    expect(report.nativeKernels).toEqual([]);
    expect(report.native.state).toBe('onednn-missing');
    expect(report.native.detail).toMatchInlineSnapshot(`"native addon not built: oneDNN not found when the build script ran"`);
    expect(report.native.fix).toMatch(/^apt-get install -y libdnnl-dev g\+\+ make python3 && node \/\S+\/@voxnas\/kernels\/scripts\/build-native\.mjs$/);
  }, 240_000);
});
