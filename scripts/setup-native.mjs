#!/usr/bin/env node
// `pnpm setup-native` (also run first by `pnpm demo`): makes sure the native oneDNN kernels of
// @voxnas/kernels are built in this checkout, because they make the demo ~20× faster.
//   - built and loading: one line, nothing else
//   - oneDNN or a compiler missing: prints the exact apt / brew line; on a terminal it offers to run
//     it (asks first, runs it visibly — with sudo unless root), then builds the addon
//   - otherwise one line saying the demo runs on the JavaScript kernels and how much slower that is
// Never fails: the demo always runs. `--yes` answers the question (for scripts); VOXNAS_SETUP_NATIVE=no
// skips the question.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const kernels = join(root, 'packages', 'kernels');
const buildScript = join(kernels, 'scripts', 'build-native.mjs');
const binary = join(kernels, 'build', 'Release', 'voxnas_kernels.node');
const statusFile = join(kernels, 'build', 'Release', 'native-build.json');
// Measured with `pnpm demo` on this repository's 2-core development machine (README, "Quick start").
const SLOWER = 'the demo runs on the JavaScript kernels: about 40× slower (≈3 h instead of ≈5 min on 2 idle cores)';

const say = (line) => console.error(`setup-native: ${line}`);

function loads() {
  if (!existsSync(binary)) return false;
  return spawnSync(process.execPath, ['-e', `require(${JSON.stringify(binary)})`], { stdio: 'ignore' }).status === 0;
}

function build() {
  spawnSync(process.execPath, [buildScript], { stdio: ['ignore', 'inherit', 'inherit'] });
  return loads();
}

function status() {
  try {
    return JSON.parse(readFileSync(statusFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** What to install here, or undefined when this platform has no known package manager line. */
function installCommand(result) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (process.platform === 'darwin') {
    return result === 'compiler-missing' ? ['xcode-select', '--install'] : ['brew', 'install', 'onednn'];
  }
  if (process.platform === 'linux' && existsSync('/usr/bin/apt-get')) {
    const pkgs = result === 'compiler-missing' ? ['g++', 'make', 'python3'] : ['libdnnl-dev', 'g++', 'make', 'python3'];
    return [...(root ? [] : ['sudo']), 'apt-get', 'install', '-y', ...pkgs];
  }
  return undefined;
}

if (process.env.VOXNAS_BACKEND === 'cpu') {
  say('VOXNAS_BACKEND=cpu: native kernels not used on purpose');
  process.exit(0);
}
if (loads()) {
  say('native oneDNN kernels built and loading');
  process.exit(0);
}
// Not built, built for another Node, or oneDNN installed since the last attempt: try (again). Where
// oneDNN or the compiler is still missing this fails within seconds and records why.
say('building the native oneDNN kernels (node-gyp, about a minute)…');
if (build()) process.exit(0);
const s = status();
const cmd = s && (s.result === 'onednn-missing' || s.result === 'compiler-missing') ? installCommand(s.result) : undefined;
if (!cmd) {
  say(`native kernels not available (${s?.detail ?? 'unknown reason'}); ${SLOWER}`);
  process.exit(0);
}
const line = cmd.join(' ');
let answer = process.argv.includes('--yes') ? 'y' : '';
if (!answer && process.stdin.isTTY && process.stderr.isTTY && process.env.VOXNAS_SETUP_NATIVE !== 'no') {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  answer = await rl.question(
    `setup-native: ${s.result === 'compiler-missing' ? 'a C++ compiler' : 'oneDNN'} is missing; without it ${SLOWER}.\n` +
      `setup-native: install it now with \`${line}\`? [y/N] `,
  );
  rl.close();
}
if (!/^y(es)?$/i.test(answer.trim())) {
  say(`${SLOWER}. For the native kernels: \`${line} && pnpm setup-native\``);
  process.exit(0);
}
say(`running: ${line}`);
const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
if (r.status !== 0) {
  say(`\`${line}\` failed (exit ${r.status}); ${SLOWER}`);
  process.exit(0);
}
if (build()) say('native oneDNN kernels built and loading');
else say(`native build still failing (${status()?.detail ?? 'see packages/kernels/build/native-build.log'}); ${SLOWER}`);
